"""Application hooks: commands run in the guests around the group's freeze.

What a hook is (the API's schema, validate), which members run it
(for_member), in which order (stages), and what the members' consistency
becomes (level). The agent runs them (agent/manager.py: _phase_hooks), the
fence orders them (coordinator/fence.py: _hooks).

An app group keeps them; a snapshot request may give its own instead. Each
hook is run by the agent of its member's host through qemu-guest-agent
guest-exec, under its own timeout: `pre_freeze` hooks before any guest is
frozen, stage after stage (every hook of stage 1 done before stage 2
begins), `post_thaw` hooks once every guest is thawed, in the reverse order
of stages. `in_freeze` steps are handed at prepare to the runner installed
in the guest (etc/guest/consistent-snap-fsfreeze-hook), which qemu-ga runs
inside its freeze call; their outcome is read back with the post-thaw
stages. A hook is for every member, or those its `members` name, or those
whose name matches `name_pattern` (shell-style).
"""

import collections
import fnmatch
import math

from consistent_snap import exception
from consistent_snap import states

PRE_FREEZE = 'pre_freeze'
# Run by the guest's in-freeze runner (etc/guest/consistent-snap-fsfreeze-
# hook) inside the guest agent's freeze call; read back after the thaw.
IN_FREEZE = 'in_freeze'
POST_THAW = 'post_thaw'
# In the guest, where the agent writes the in-freeze steps and the runner
# its results (the runner's DIR).
RUNNER_DIR = '/run/consistent-snap'
RUNNER_MARK = 'consistent-snap in-freeze runner'
FAIL = 'fail'
CONTINUE = 'continue'
_REF = {'type': 'string', 'minLength': 1, 'maxLength': 255}
# Characters of a hook's output kept in its record.
OUTPUT_MAX = 1024
M = states.Member

HOOK = {
    'type': 'object',
    'properties': {
        'name': {'type': 'string', 'pattern': '^[A-Za-z0-9_.-]{1,64}$'},
        'when': {'type': 'string', 'enum': [PRE_FREEZE, IN_FREEZE,
                                            POST_THAW]},
        # Run by /bin/sh -c in the guest; passed when it exits 0.
        'command': {'type': 'string', 'minLength': 1, 'maxLength': 4096},
        'timeout_s': {'type': 'number', 'exclusiveMinimum': 0,
                      'maximum': 10},
        'on_error': {'type': 'string', 'enum': [FAIL, CONTINUE]},
        'stage': {'type': 'integer', 'minimum': 1, 'maximum': 10},
        'members': {'type': 'array', 'minItems': 1, 'maxItems': 1000,
                    'uniqueItems': True, 'items': _REF},
        'name_pattern': _REF,
    },
    'required': ['name', 'when', 'command'],
    'additionalProperties': False,
}
HOOKS = {'type': 'array', 'maxItems': 20, 'items': HOOK}
DEFAULTS = {'timeout_s': 2, 'on_error': FAIL, 'stage': 1}


def with_defaults(hooks):
    return [dict(DEFAULTS, **hook) for hook in hooks or ()]


def needed_s(hooks):
    """The longest the hooks may take: each stage's slowest, both sides."""
    slowest = collections.defaultdict(float)
    for hook in with_defaults(hooks):
        key = (hook['when'], hook['stage'])
        slowest[key] = max(slowest[key], hook['timeout_s'])
    return sum(slowest.values())


def validate(hooks, where, budget_ms):
    """One name each, one selector each, and within the freeze budget."""
    names = [h['name'] for h in hooks]
    twice = sorted(set(n for n in names if names.count(n) > 1))
    if twice:
        raise exception.InvalidBody(reason='%s: each hook needs a name of '
                                    'its own: %s' % (where, ', '.join(twice)))
    for hook in hooks:
        if 'members' in hook and 'name_pattern' in hook:
            raise exception.InvalidBody(reason=(
                '%s: hook %s: give members or name_pattern, not both' % (
                    where, hook['name'])))
    needed = needed_s(hooks)
    if needed * 1000 > budget_ms:
        raise exception.InvalidBody(reason=(
            '%s: the hooks may take %.1f s (the longest hook of each stage, '
            'before the freeze and after the thaw), beyond the freeze '
            'budget of %.1f s ([agent] max_freeze_ms): shorten their '
            'timeout_s' % (where, needed, budget_ms / 1000)))


def for_member(hooks, member):
    """The hooks (with their defaults) that run on member, in order."""
    refs = {member['server_id'], member.get('name')}
    return [hook for hook in with_defaults(hooks)
            if (not hook.get('members') or refs & set(hook['members'])) and
            (not hook.get('name_pattern') or fnmatch.fnmatchcase(
                member.get('name') or '', hook['name_pattern']))]


def stages(payloads, when):
    """The stages with hooks of `when` among members' payloads.

    In the order they run: ascending before the freeze, descending after
    (when the in-freeze steps' results are read back too).
    """
    found = {hook['stage'] for hook in _of(payloads, when)}
    return sorted(found, reverse=(when == POST_THAW))


def stage_timeout_s(payloads, when, stage):
    """The longest hook of that stage: how long its phase may take."""
    return max(hook['timeout_s'] for hook in _of(payloads, when)
               if hook['stage'] == stage)


def _of(payloads, when):
    kinds = {when, IN_FREEZE} if when == POST_THAW else {when}
    return [hook for member in payloads for hook in member.get('hooks') or ()
            if hook['when'] in kinds]


def steps_file(hooks, expires):
    """The runner's steps file for a member's in-freeze hooks."""
    lines = ['expires %d' % expires]
    for hook in hooks:
        if hook['when'] == IN_FREEZE:
            command = hook['command'].replace('\t', ' ').replace('\n', '; ')
            lines.append('\t'.join((hook['name'], str(math.ceil(
                hook['timeout_s'])), command)))
    return '\n'.join(lines) + '\n'


def parse_results(text):
    """{name: (exit code, seconds, output)} of the runner's results."""
    found = {}
    for line in text.splitlines():
        parts = line.split('\t', 3)
        if len(parts) == 4 and parts[1].lstrip('-').isdigit():
            found[parts[0]] = (int(parts[1]), float(parts[2] or 0),
                               parts[3])
    return found


def level(member):
    """(consistency, reason) of a member once its hooks ran, or None.

    application: frozen, and every one of its hooks passed; a failed
    hook that may continue leaves it filesystem, saying which.
    """
    planned = member.get('hooks') or []
    results = member.get('hook_results') or []
    if not planned or member.get('consistency') != M.FILESYSTEM:
        return None
    failed = [r for r in results if not r['passed']]
    if failed:
        return M.FILESYSTEM, 'hook %s failed (on_error continue): %s' % (
            failed[0]['name'], failed[0]['output'])
    if len(results) < len(planned):
        return None
    return M.APPLICATION, 'frozen, and every hook of the application ' \
        'passed (%s)' % ', '.join(r['name'] for r in results)
