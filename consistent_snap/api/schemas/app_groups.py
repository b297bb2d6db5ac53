"""Request bodies of /v1/app-groups."""

MODES = ['barrier', 'shared_start', 'priority']


def _body(source_types, **rules):
    app_group = {
        'type': 'object',
        'properties': {
            'name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                     'pattern': r'^\S(.*\S)?$'},
            'description': {'type': 'string', 'maxLength': 1024},
            'source_type': {'type': 'string', 'enum': source_types},
            'source': {'type': 'object'},
            'include_volumes': {'type': 'boolean'},
            'default_mode': {'type': 'string', 'enum': MODES},
            'quiesce': {'type': 'boolean'},
            'consistent': {'type': 'boolean'},
        },
        'additionalProperties': False,
    }
    app_group.update(rules)
    return {'type': 'object', 'properties': {'app_group': app_group},
            'required': ['app_group'], 'additionalProperties': False}


def create(source_types):
    return _body(source_types, required=['name', 'source_type', 'source'])


def update(source_types):
    # A new source type only makes sense with a source of that type.
    return _body(source_types, minProperties=1,
                 dependentRequired={'source_type': ['source']})
