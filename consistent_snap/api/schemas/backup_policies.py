"""Request bodies of /v1/backup-policies."""

from consistent_snap.api.schemas import app_groups
from consistent_snap import schedule


def _body(**rules):
    policy = {
        'type': 'object',
        'properties': {
            # Checked by the handler, which names the field: a cron
            # expression and a time zone are more than a pattern can say.
            'app_group': {'type': 'string', 'minLength': 1,
                          'maxLength': 255},
            'cron': {'type': 'string', 'minLength': 1, 'maxLength': 255},
            'timezone': {'type': 'string', 'minLength': 1, 'maxLength': 64},
            # null removes the rule.
            'keep_last': {'type': ['integer', 'null'], 'minimum': 1,
                          'maximum': 100000},
            'max_age': {'anyOf': [
                {'type': 'integer', 'minimum': 1,
                 'maximum': schedule.MAX_AGE_S},
                {'type': 'string', 'pattern': schedule.MAX_AGE_PATTERN},
                {'type': 'null'}]},
            # Verify every Nth snapshot (1: each); null: none.
            'verify_every': {'type': ['integer', 'null'], 'minimum': 1,
                             'maximum': 1000},
            'mode': {'type': 'string', 'enum': app_groups.MODES},
            'quiesce': {'type': 'boolean'},
            'consistent': {'type': 'boolean'},
            'include_volumes': {'type': 'boolean'},
            'enabled': {'type': 'boolean'},
            'name': {'type': 'string', 'maxLength': 255},
            'description': {'type': 'string', 'maxLength': 1024},
        },
        'additionalProperties': False,
    }
    policy.update(rules)
    return {'type': 'object', 'properties': {'backup_policy': policy},
            'required': ['backup_policy'], 'additionalProperties': False}


CREATE = _body(required=['app_group', 'cron'])
UPDATE = _body(minProperties=1)
