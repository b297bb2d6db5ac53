"""A guest's qemu-guest-agent, reached through this host's libvirtd.

What a verification asks of a restored guest (its agent answers; the
commands a person gave) and what a snapshot's hooks run, each command
bounded by our own timeout (neither libvirt nor the agent bounds a
command's run). guest-exec answers at once with a pid; its status is
polled until the command exits or the time is up, when it is killed (and
its children) by another guest-exec, and reported as overrun.
"""

import base64
import json
import time

try:
    import libvirt
    import libvirt_qemu
except ImportError:  # Only hosts with Nova's libvirt driver need them.
    libvirt = libvirt_qemu = None

# Bytes of a command's output kept, each of stdout and stderr.
OUTPUT_MAX = 2048
POLL_S = 0.1


class GuestAgentError(Exception):
    """The guest agent did not answer, or refused."""


def command(dom, execute, timeout_s, **arguments):
    """One agent command; its 'return' value."""
    request = {'execute': execute}
    if arguments:
        request['arguments'] = arguments
    try:
        reply = libvirt_qemu.qemuAgentCommand(
            dom, json.dumps(request), max(1, int(timeout_s)), 0)
    except libvirt.libvirtError as e:
        raise GuestAgentError('%s: %s' % (execute, e.get_error_message()))
    return json.loads(reply)['return']


def wait_ping(dom, timeout_s):
    """Seconds until the agent answered guest-ping (the guest may boot)."""
    started = time.monotonic()
    while True:
        try:
            command(dom, 'guest-ping', 2)
            return time.monotonic() - started
        except GuestAgentError:
            if time.monotonic() - started >= timeout_s:
                raise GuestAgentError(
                    'qemu-guest-agent did not answer guest-ping within '
                    '%.0f s' % timeout_s)
            time.sleep(1)


def _text(data):
    raw = base64.b64decode(data or '')
    text = raw[:OUTPUT_MAX].decode('utf-8', 'replace')
    return text + ('...' if len(raw) > OUTPUT_MAX else '')


def run(dom, argv, timeout_s, stdin=None):
    """Run argv in the guest: {'exitcode', 'out', 'err'}, or timed_out.

    Past timeout_s the command is killed (kill -KILL, itself through
    guest-exec), if the guest lets us. stdin: text given to it.
    """
    extra = {'input-data': base64.b64encode(stdin.encode()).decode()} if (
        stdin is not None) else {}
    pid = command(dom, 'guest-exec', 5, path=argv[0], arg=list(argv[1:]),
                  **{'capture-output': True}, **extra)['pid']
    deadline = time.monotonic() + timeout_s
    while True:
        status = command(dom, 'guest-exec-status', 5, pid=pid)
        if status.get('exited'):
            return {'exitcode': status.get('exitcode'),
                    'signal': status.get('signal'),
                    'out': _text(status.get('out-data')),
                    'err': _text(status.get('err-data'))}
        if time.monotonic() >= deadline:
            return {'timed_out': True, 'killed': _kill(dom, pid), 'out': '',
                    'err': ''}
        time.sleep(POLL_S)


def _kill(dom, pid):
    """Kill pid and its children (sh -c may run the command in one)."""
    try:
        command(dom, 'guest-exec', 5, path='/bin/sh', arg=['-c', (
            'for c in $(cat /proc/{0}/task/*/children 2>/dev/null); do '
            'kill -KILL $c; done; kill -KILL {0}').format(pid)])
        return True
    except GuestAgentError:
        return False


def describe(result):
    """One line of what a run() came to, for people."""
    if result.get('error'):
        return 'could not run: %s' % result['error']
    if result.get('timed_out'):
        return 'still running after its timeout%s' % (
            ' (killed)' if result.get('killed') else '')
    text = 'exit %s' % result.get('exitcode')
    for stream in ('out', 'err'):
        if result.get(stream):
            text += '; std%s: %s' % (stream, result[stream].strip())
    return text


def preflight(dom, timeout_s):
    """Why hooks cannot run in this guest, or None."""
    try:
        wait_ping(dom, timeout_s)
        info = command(dom, 'guest-info', 5)
    except GuestAgentError as e:
        return 'its qemu-guest-agent does not answer (%s)' % e
    enabled = {c['name'] for c in info.get('supported_commands', ())
               if c.get('enabled')}
    missing = sorted({'guest-exec', 'guest-exec-status'} - enabled)
    if missing:
        return 'its qemu-guest-agent does not allow %s' % ', '.join(missing)
    return None


def check(dom, ping_timeout_s, commands):
    """A verification's checks in one guest, in order.

    commands: [{'argv', 'timeout_s'}]. Returns {'ping_s': seconds until the
    agent answered, or None; 'error': why nothing more ran, or None;
    'results': [run()'s answer, with started_at and ended_at, per
    command]}.
    """
    answer = {'ping_s': None, 'error': None, 'results': []}
    try:
        answer['ping_s'] = wait_ping(dom, ping_timeout_s)
        for item in commands:
            started = time.time()
            try:
                result = run(dom, item['argv'], item['timeout_s'])
            except GuestAgentError as e:
                result = {'error': str(e), 'out': '', 'err': ''}
            answer['results'].append(dict(result, started_at=started,
                                          ended_at=time.time()))
    except GuestAgentError as e:
        answer['error'] = str(e)
    return answer
