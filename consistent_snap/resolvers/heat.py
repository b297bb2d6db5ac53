from oslo_utils import uuidutils

from consistent_snap import exception
from consistent_snap.resolvers import base

SERVER_TYPES = ('OS::Nova::Server',)


class HeatResolver(base.Resolver):
    """A Heat stack's servers, following nested stacks all the way down.

    Heat's own stack snapshot skips what nested stacks (ResourceGroup,
    AutoScalingGroup, provider templates) hold; ``nested_depth`` makes Heat
    list those resources in the same call.
    """

    schema = {
        'type': 'object',
        'properties': {
            'stack': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        },
        'required': ['stack'],
        'additionalProperties': False,
    }

    def _url(self, project_id, path):
        # Heat puts the project in its URLs; an admin reads another
        # project's stacks by addressing them under that project.
        endpoint = self.conn.orchestration.get_endpoint()
        return '%s/%s%s' % (endpoint.rsplit('/', 1)[0], project_id, path)

    def _get(self, project_id, path, params=None):
        response = self.conn.session.get(self._url(project_id, path),
                                         params=params, raise_exc=False)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def _find(self, project_id, ref):
        if uuidutils.is_uuid_like(ref):
            found = self._get(project_id, '/stacks/%s' % ref)
            stack = found and found['stack']
            if stack and stack.get('project', project_id) == project_id:
                return stack
        listed = self._get(project_id, '/stacks', {'name': ref}) or {}
        stacks = [s for s in listed.get('stacks', ())
                  if s.get('project') == project_id]
        if len(stacks) > 1:
            raise exception.AmbiguousSource(kind='Heat stack', name=ref,
                                            count=len(stacks),
                                            project_id=project_id)
        if not stacks:
            raise exception.StackNotFound(stack=ref, project_id=project_id)
        return stacks[0]

    def validate(self, project_id, source, inventory):
        stack = self._find(project_id, source['stack'])
        return {'stack': stack['id'], 'stack_name': stack['stack_name']}

    def resolve(self, project_id, source, inventory):
        path = '/stacks/%(stack_name)s/%(stack)s/resources' % source
        depth = self.conf.resolvers.heat_nested_depth
        found = self._get(project_id, path, {'nested_depth': depth})
        if found is None:
            raise exception.StackNotFound(stack=source['stack'],
                                          project_id=project_id)
        return sorted(r['physical_resource_id'] for r in found['resources']
                      if r['resource_type'] in SERVER_TYPES
                      and r['physical_resource_id'])
