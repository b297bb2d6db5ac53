from consistent_snap import exception
from consistent_snap.resolvers import base


class ServersResolver(base.Resolver):
    """An explicit list of servers: the patent's VM-level request."""

    schema = {
        'type': 'object',
        'properties': {
            'servers': {'type': 'array', 'minItems': 1, 'maxItems': 1000,
                        'uniqueItems': True,
                        'items': {'type': 'string', 'format': 'uuid'}},
        },
        'required': ['servers'],
        'additionalProperties': False,
    }

    def validate(self, project_id, source, inventory):
        missing = [s for s in source['servers'] if s not in inventory.servers]
        if missing:
            raise exception.ServersNotFound(servers=', '.join(missing),
                                            project_id=project_id)
        return {'servers': list(source['servers'])}

    def resolve(self, project_id, source, inventory):
        return list(source['servers'])
