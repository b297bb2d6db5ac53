"""URL -> method -> handler, in one dict."""

import routes
import webob.dec

from consistent_snap.api.handlers import app_groups
from consistent_snap.api.handlers import backup_policies
from consistent_snap.api.handlers import group_snapshots
from consistent_snap.api.handlers import restores
from consistent_snap.api.handlers import root
from consistent_snap.api import util

ROUTE_DECLARATIONS = {
    '/': {'GET': root.versions},
    '/v1': {'GET': root.version_v1},
    '/v1/openapi.yaml': {'GET': root.openapi},
    '/v1/app-groups': {
        'GET': app_groups.list_app_groups,
        'POST': app_groups.create_app_group,
    },
    '/v1/app-groups/{app_group_id}': {
        'GET': app_groups.show_app_group,
        'PATCH': app_groups.update_app_group,
        'DELETE': app_groups.delete_app_group,
    },
    '/v1/app-groups/{app_group_id}/members': {
        'GET': app_groups.list_members,
    },
    '/v1/group-snapshots': {
        'GET': group_snapshots.list_group_snapshots,
        'POST': group_snapshots.create_group_snapshot,
    },
    '/v1/group-snapshots/{group_snapshot_id}': {
        'GET': group_snapshots.show_group_snapshot,
        'DELETE': group_snapshots.delete_group_snapshot,
    },
    '/v1/group-snapshots/{group_snapshot_id}/verify': {
        'POST': restores.verify_group_snapshot,
    },
    '/v1/restores': {
        'GET': restores.list_restores,
        'POST': restores.create_restore,
    },
    '/v1/restores/{restore_id}': {
        'GET': restores.show_restore,
        'DELETE': restores.delete_restore,
    },
    '/v1/backup-policies': {
        'GET': backup_policies.list_backup_policies,
        'POST': backup_policies.create_backup_policy,
    },
    '/v1/backup-policies/{backup_policy_id}': {
        'GET': backup_policies.show_backup_policy,
        'PATCH': backup_policies.update_backup_policy,
        'DELETE': backup_policies.delete_backup_policy,
    },
}

# Readable without a token, as every OpenStack service's version document;
# so is the API's own description.
PUBLIC_PATHS = ('/', '/v1', '/v1/openapi.yaml')


class Router:
    def __init__(self, declarations=None):
        self.declarations = declarations or ROUTE_DECLARATIONS
        self.mapper = routes.Mapper()
        for path in self.declarations:
            self.mapper.connect(path, declared_path=path)

    @webob.dec.wsgify
    def __call__(self, req):
        path = req.path_info.rstrip('/') or '/'
        match = self.mapper.match(path)
        if match is None:
            return util.error_response(
                req, 404, 'Not Found',
                'The resource %s does not exist. See / for the API '
                'versions and /v1 for the resources.' % req.path_info)
        handlers = self.declarations[match.pop('declared_path')]
        handler = handlers.get(req.method)
        if handler is None:
            response = util.error_response(
                req, 405, 'Method Not Allowed',
                '%s is not allowed on %s; allowed: %s.' %
                (req.method, req.path_info, ', '.join(sorted(handlers))))
            response.allow = sorted(handlers)
            return response
        req.environ['wsgiorg.routing_args'] = ((), match)
        return handler(req)
