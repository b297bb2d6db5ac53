import urllib.parse

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
        # The service reads as admin, and Heat answers an admin with any
        # project's stack whatever project its URL names: only the owner
        # Heat reports (the tenant in the stack's own links) tells whose
        # it is. Another project's stack is "not found", like a missing
        # one, so that nothing about it (name, servers) reaches the caller.
        if uuidutils.is_uuid_like(ref):
            found = self._get(project_id, '/stacks/%s' % ref)
            stack = found and found['stack']
            if stack and owner(stack) == project_id:
                return stack
        listed = self._get(project_id, '/stacks', {'name': ref}) or {}
        stacks = [s for s in listed.get('stacks', ())
                  if owner(s) == project_id]
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
        if found is None or any(
                owner(r, 'stack') != project_id for r in found['resources']):
            # Stored before its owner was checked (or moved since): the
            # stack is not this project's, so neither are its servers.
            raise exception.StackNotFound(stack=source['stack'],
                                          project_id=project_id)
        servers = [r for r in found['resources']
                   if r['resource_type'] in SERVER_TYPES
                   and r['physical_resource_id']]
        paths = resource_paths(source['stack'], found['resources'])
        for resource in servers:
            inventory.origins[resource['physical_resource_id']] = {
                'stack_id': source['stack'],
                'stack_name': source.get('stack_name'),
                'resource_path': paths[resource['physical_resource_id']]}
        return sorted(r['physical_resource_id'] for r in servers)


def owner(resource, rel='self'):
    """The project owning a stack (or a resource): the tenant in its link.

    Heat's links are .../v1/<project>/stacks/<name>/<id>[/resources/<r>];
    a stack listed by an admin also says "project". None when neither
    tells, which matches no project.
    """
    for link in resource.get('links', ()):
        if link.get('rel') == rel:
            parts = urllib.parse.urlsplit(link.get('href', '')).path.split('/')
            if 'stacks' in parts and parts.index('stacks') > 0:
                return parts[parts.index('stacks') - 1] or None
    return resource.get('project') if rel == 'self' else None


def _link(resource, rel):
    """The id of the stack a resource's link points to (its last part)."""
    for link in resource.get('links', ()):
        if link.get('rel') == rel:
            return link['href'].rstrip('/').rsplit('/', 1)[-1]
    return None


def resource_paths(top_stack_id, resources):
    """{physical id: resource names from the top stack down to it}.

    With nested_depth, Heat gives each resource a "stack" link to the
    stack holding it, and each resource owning a nested stack a "nested"
    link to that stack: the chain of those links is the path (names alone
    repeat: every ResourceGroup member holds a "server").
    """
    owners = {_link(r, 'nested'): r for r in resources if _link(r, 'nested')}
    paths = {}
    for resource in resources:
        path = [resource['resource_name']]
        stack_id = _link(resource, 'stack')
        while stack_id != top_stack_id and stack_id in owners:
            owner = owners[stack_id]
            path.insert(0, owner['resource_name'])
            stack_id = _link(owner, 'stack')
        paths[resource['physical_resource_id']] = path
    return paths
