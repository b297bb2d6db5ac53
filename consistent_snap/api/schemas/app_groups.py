"""Request bodies of /v1/app-groups."""

from consistent_snap.api.schemas import checks
from consistent_snap import hooks
from consistent_snap import states

MODES = list(states.MODES)
# No surrounding white space, no NUL, one line. Spelt out so that
# Python's re and the ECMA regexes of clients and fuzzers agree: they
# differ on \s, on what "." matches, and on "$" before a final newline.
NAME_PATTERN = (r'^[^\s\x00\x1c-\x1f\x85\ufeff]'
                r'(?:[^\x00\n\r\u2028\u2029]*[^\s\x00\x1c-\x1f\x85\ufeff])?'
                r'(?![\s\S])')


def _body(source_types, **rules):
    app_group = {
        'type': 'object',
        'properties': {
            'name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                     'pattern': NAME_PATTERN},
            'description': {'type': 'string', 'maxLength': 1024},
            'source_type': {'type': 'string', 'enum': source_types},
            'source': {'type': 'object'},
            'include_volumes': {'type': 'boolean'},
            'default_mode': {'type': 'string', 'enum': MODES},
            'quiesce': {'type': 'boolean'},
            'consistent': {'type': 'boolean'},
            # Run by every verification of the group's snapshots.
            'checks': checks.CHECKS,
            # Run in the guests around each snapshot's freeze.
            'hooks': hooks.HOOKS,
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
