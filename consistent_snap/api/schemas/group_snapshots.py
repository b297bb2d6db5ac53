"""Request bodies of /v1/group-snapshots."""

from consistent_snap.api.schemas import app_groups
from consistent_snap import hooks

CREATE = {
    'type': 'object',
    'properties': {
        'group_snapshot': {
            'type': 'object',
            'properties': {
                # App-level (claim 1) or VM-level (claim 4): one of them.
                'app_group': {'type': 'string', 'minLength': 1,
                              'maxLength': 255},
                'servers': {'type': 'array', 'minItems': 1,
                            'maxItems': 1000, 'uniqueItems': True,
                            'items': {'type': 'string', 'format': 'uuid'}},
                'consistent': {'type': 'boolean'},
                'mode': {'type': 'string', 'enum': app_groups.MODES},
                'quiesce': {'type': 'boolean'},
                'require_quiesce': {'type': 'boolean'},
                'include_volumes': {'type': 'boolean'},
                'skip_unhealthy': {'type': 'boolean'},
                # Instead of the app group's ([] for none).
                'hooks': hooks.HOOKS,
                'name': {'type': 'string', 'maxLength': 255},
                'description': {'type': 'string', 'maxLength': 1024},
            },
            'additionalProperties': False,
        },
    },
    'required': ['group_snapshot'],
    'additionalProperties': False,
}
