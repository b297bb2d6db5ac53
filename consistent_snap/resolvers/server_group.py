from oslo_utils import uuidutils

from consistent_snap import exception
from consistent_snap.resolvers import base


class ServerGroupResolver(base.Resolver):
    """The members of a Nova server group."""

    schema = {
        'type': 'object',
        'properties': {
            'server_group': {'type': 'string', 'minLength': 1,
                             'maxLength': 255},
        },
        'required': ['server_group'],
        'additionalProperties': False,
    }

    def _find(self, project_id, name_or_id):
        groups = [g for g in self.conn.compute.server_groups(
                  all_projects=True)
                  if g.project_id == project_id
                  and name_or_id in (g.id, g.name)]
        by_id = [g for g in groups if g.id == name_or_id]
        if by_id:
            return by_id[0]
        if len(groups) > 1:
            raise exception.AmbiguousSource(kind='Server group',
                                            name=name_or_id,
                                            count=len(groups),
                                            project_id=project_id)
        if not groups:
            raise exception.ServerGroupNotFound(group=name_or_id,
                                                project_id=project_id)
        return groups[0]

    def _get(self, project_id, group_id):
        group = self.conn.compute.find_server_group(
            group_id, ignore_missing=True)
        if group is None or group.project_id != project_id:
            raise exception.ServerGroupNotFound(group=group_id,
                                                project_id=project_id)
        return group

    def validate(self, project_id, source, inventory):
        ref = source['server_group']
        group = (self._get(project_id, ref) if uuidutils.is_uuid_like(ref)
                 else self._find(project_id, ref))
        return {'server_group': group.id, 'server_group_name': group.name}

    def resolve(self, project_id, source, inventory):
        return list(self._get(project_id, source['server_group']).member_ids)
