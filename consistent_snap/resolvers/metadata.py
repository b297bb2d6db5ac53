from consistent_snap.resolvers import base


class MetadataResolver(base.Resolver):
    """Servers carrying every given tag and metadata key=value.

    Nova filters by tag but not by metadata, and the project's server list
    is read anyway to find hosts, so both are matched here on that list.
    """

    schema = {
        'type': 'object',
        'properties': {
            # Nova holds at most 50 tags and 128 metadata items a server.
            'tags': {'type': 'array', 'minItems': 1, 'maxItems': 50,
                     'uniqueItems': True,
                     'items': {'type': 'string', 'minLength': 1,
                               'maxLength': 60}},
            'properties': {'type': 'object', 'minProperties': 1,
                           'maxProperties': 128,
                           'propertyNames': {'minLength': 1,
                                             'maxLength': 255},
                           'additionalProperties': {'type': 'string',
                                                    'maxLength': 255}},
        },
        'anyOf': [{'required': ['tags']}, {'required': ['properties']}],
        'additionalProperties': False,
    }

    def validate(self, project_id, source, inventory):
        # A selector is valid while nothing matches yet: servers may come.
        return {key: source[key] for key in ('tags', 'properties')
                if key in source}

    def resolve(self, project_id, source, inventory):
        tags = set(source.get('tags', ()))
        properties = source.get('properties', {}).items()
        return [server.id for server in inventory.servers.values()
                if tags <= set(server.tags or ())
                and properties <= (server.metadata or {}).items()]
