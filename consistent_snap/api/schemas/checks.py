"""A verification's checks, as an app group or a verify request gives them.

Each check runs in the guest of every member it is for (all, or those its
`members` name), through qemu-guest-agent, and is one of two kinds:
- `command`: run by /bin/sh -c, passed when it exits with `expect_exit`;
- `port`: a TCP connection opened from the guest to `to`'s restored address
  (a member; the member itself without it), passed when it is accepted.
"""

from consistent_snap import exception

# What every verification checks; given checks take other names.
BUILT_IN = ('server_active', 'guest_agent', 'filesystems_clean')
_REF = {'type': 'string', 'minLength': 1, 'maxLength': 255}

CHECK = {
    'type': 'object',
    'properties': {
        'name': {'type': 'string', 'pattern': '^[A-Za-z0-9_.-]{1,64}$'},
        'command': {'type': 'string', 'minLength': 1, 'maxLength': 4096},
        'expect_exit': {'type': 'integer', 'minimum': 0, 'maximum': 255},
        'port': {'type': 'integer', 'minimum': 1, 'maximum': 65535},
        # A server id or name, at snapshot time.
        'to': _REF,
        'timeout_s': {'type': 'integer', 'minimum': 1, 'maximum': 3600},
        # Server ids or names, at snapshot time; all members without it.
        'members': {'type': 'array', 'minItems': 1, 'maxItems': 1000,
                    'uniqueItems': True, 'items': _REF},
    },
    'required': ['name'],
    'additionalProperties': False,
}
CHECKS = {'type': 'array', 'maxItems': 20, 'items': CHECK}


def validate(checks, where):
    """What JSON Schema cannot say plainly: one kind each, one name each."""
    for check in checks:
        kinds = [k for k in ('command', 'port') if k in check]
        if len(kinds) != 1:
            raise exception.InvalidBody(reason=(
                '%s: check %s needs either a command or a port' % (
                    where, check['name'])))
        wrong = [k for k in ({'to'} if 'command' in check else
                             {'expect_exit'}) if k in check]
        if wrong:
            raise exception.InvalidBody(reason=(
                '%s: check %s: %s goes with %s only' % (
                    where, check['name'], wrong[0],
                    'port' if wrong[0] == 'to' else 'command')))
    names = [c['name'] for c in checks]
    clash = sorted(set(n for n in names if names.count(n) > 1) |
                   set(names) & set(BUILT_IN))
    if clash:
        raise exception.InvalidBody(reason=(
            '%s: each check needs a name of its own, not one of %s: %s' % (
                where, ', '.join(BUILT_IN), ', '.join(clash))))
