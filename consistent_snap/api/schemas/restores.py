"""Request bodies of /v1/restores."""

from consistent_snap.api.schemas import checks

MODES = ['new', 'in_place']
_REF = {'type': 'string', 'minLength': 1, 'maxLength': 255}
_MAP = {'type': 'object', 'maxProperties': 100,
        'propertyNames': {'minLength': 1, 'maxLength': 255},
        'additionalProperties': _REF}

CREATE = {
    'type': 'object',
    'properties': {
        'restore': {
            'type': 'object',
            'properties': {
                'group_snapshot': {'type': 'string', 'format': 'uuid'},
                'mode': {'type': 'string', 'enum': MODES},
                # Server ids or names of the members to restore: a subset.
                'members': {'type': 'array', 'minItems': 1,
                            'maxItems': 1000, 'uniqueItems': True,
                            'items': _REF},
                'network_map': _MAP,
                'flavor_map': _MAP,
                'az_map': _MAP,
                'volume_type_map': _MAP,
                'keep_ips': {'type': 'boolean'},
                'name_suffix': {'type': 'string', 'minLength': 1,
                                'maxLength': 64},
                'as_app_group': _REF,
                'dry_run': {'type': 'boolean'},
            },
            'required': ['group_snapshot'],
            'additionalProperties': False,
        },
    },
    'required': ['restore'],
    'additionalProperties': False,
}

# A week: a verification kept for a look longer is a restore.
KEEP_FOR_MAX_S = 7 * 86400
VERIFY = {
    'type': 'object',
    'properties': {
        'verify': {
            'type': 'object',
            'properties': {
                'members': CREATE['properties']['restore']['properties'][
                    'members'],
                'flavor_map': _MAP,
                'az_map': _MAP,
                'volume_type_map': _MAP,
                # Seconds the copy stays up after its checks, for a look.
                'keep_for': {'type': 'integer', 'minimum': 0,
                             'maximum': KEEP_FOR_MAX_S},
                'checks': checks.CHECKS,
                'dry_run': {'type': 'boolean'},
            },
            'additionalProperties': False,
        },
    },
    'required': ['verify'],
    'additionalProperties': False,
}
