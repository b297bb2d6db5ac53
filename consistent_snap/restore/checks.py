"""A verification's checks: each restored member proven usable, recorded.

They run once every member is restored, member after member in the order
their servers became ACTIVE (the order the application came up in), each
check's outcome, output (bounded) and time written into the member's
evidence. Per member:

- server_active: Nova still has its server ACTIVE;
- guest_agent: its qemu-guest-agent answers (on hosts whose agent
  quiesces guests through it; elsewhere skipped, passed None);
- filesystems_clean: its kernel log shows no journal replayed at mount,
  which a capture made while the guest was frozen must not need;
- each check of the request for it: a command run in the guest through
  guest-exec, passed when it exits with the expected code in its time.

The guest's checks run on the host of the restored server, by its
consistent-snap-agent (agent RPC 1.5).
"""

import time

OUTPUT_MAX = 2048
# Seconds for a restored guest's agent to answer: it boots first.
PING_TIMEOUT_S = 180
# The kernel's file system lines (exit 3: no kernel log to read); busybox
# for guests with no dmesg or grep of their own.
KERNEL_LOG = {'argv': ['/bin/sh', '-c', (
    'log=$(dmesg 2>/dev/null || busybox dmesg) || exit 3; '
    'echo "$log" | { grep -E "EXT4-fs|XFS" 2>/dev/null || '
    'busybox grep -E "EXT4-fs|XFS"; }; exit 0')], 'timeout_s': 30}
# What ext4 (and XFS) log when they replay a journal at mount.
REPLAYED = ('recovery complete', 'Ending clean mount', 'orphan cleanup')
FROZEN_LEVELS = ('filesystem', 'application')


def _record(check, passed, output, started_at, ended_at=None):
    return {'check': check, 'passed': passed,
            'output': (output or '')[:OUTPUT_MAX], 'started_at': started_at,
            'ended_at': ended_at or time.time()}


def _exec_output(result):
    if result.get('error'):
        return 'could not run: %s' % result['error']
    if result.get('timed_out'):
        return 'still running after its timeout'
    text = 'exit %s' % result.get('exitcode')
    for stream in ('out', 'err'):
        if result.get(stream):
            text += '; std%s: %s' % (stream, result[stream].strip())
    return text


class Checks:
    """The checks of one verification.

    requested: the request's, [{'name', 'command', 'timeout_s',
    'expect_exit', 'members'}]; agents: the coordinator's AgentAPI.
    """

    def __init__(self, context, admin, agents, requested):
        self.context = context
        self.admin = admin
        self.agents = agents
        self.requested = requested or []

    def _wanted(self, member):
        return [c for c in self.requested if not c.get('members') or
                {member['server_id'], member['server_name']} &
                set(c['members'])]

    def run(self, conn, members, evidence, levels):
        """Every check of every member; the failures, as messages.

        members: the plan's, each with its new_server_id; evidence: the
        run's {server id: {'steps': [...]}}, where each member's checks
        are added; levels: {server id: its consistency in the snapshot}.
        """
        def came_up(member):
            steps = evidence[member['server_id']]['steps']
            return max((s.get('ended_at') or 0 for s in steps
                        if s['step'] == 'server'), default=0)

        failures = []
        for member in sorted(members, key=came_up):
            records = self._member(conn, member,
                                   levels.get(member['server_id']))
            evidence[member['server_id']]['checks'] = records
            failures += ['check %s of %s (from server %s) failed: %s' % (
                r['check'], member['name'], member['server_id'],
                r['output']) for r in records if r['passed'] is False]
        return failures

    def _member(self, conn, member, level):
        started = time.time()
        try:
            server = conn.compute.get_server(member['new_server_id'])
            output = 'server %s is %s%s' % (server.id, server.status, (
                ': %s' % server.fault['message'] if (server.fault or {}).get(
                    'message') else ''))
            records = [_record('server_active', server.status == 'ACTIVE',
                               output, started)]
        except Exception as e:
            return [_record('server_active', False,
                            'could not be read: %s' % e, started)]
        return records + self._guest(member, level)

    def _guest(self, member, level):
        wanted = self._wanted(member)
        commands = [KERNEL_LOG] + [
            {'argv': ['/bin/sh', '-c', c['command']],
             'timeout_s': c.get('timeout_s', 30)} for c in wanted]
        started = time.time()
        try:
            host = self.admin.compute.get_server(
                member['new_server_id']).compute_host
            answer = self.agents.guest_check(
                self.context, host, member['new_server_id'], PING_TIMEOUT_S,
                commands)
            if answer is None:
                answer = {'error': 'the consistent-snap-agent of host %s is '
                                   'older than guest checks (agent RPC '
                                   '1.5)' % host}
        except Exception as e:
            answer = {'error': 'the guest could not be checked: %s' % e}
        if answer.get('skipped') or answer.get('error'):
            reason = answer.get('skipped') or answer['error']
            # Without a guest agent, only what was asked of it fails.
            records = [_record('guest_agent', None if answer.get('skipped')
                               else False, reason, started)]
            return records + [_record(c['name'], False, 'not run: %s' % (
                reason), started) for c in wanted]
        records = [_record('guest_agent', True, 'answered guest-ping after '
                           '%.1f s' % answer['ping_s'], started)]
        log, *results = answer['results']
        records.append(self._clean(log, level))
        for check, result in zip(wanted, results):
            passed = not result.get('error') and not result.get(
                'timed_out') and result.get('exitcode') == check.get(
                    'expect_exit', 0)
            records.append(_record(check['name'], passed,
                                   _exec_output(result),
                                   result['started_at'], result['ended_at']))
        return records

    @staticmethod
    def _clean(log, level):
        if log.get('error') or log.get('timed_out') or log.get('exitcode'):
            return _record('filesystems_clean', None, 'kernel log not read: '
                           '%s' % _exec_output(log), log['started_at'],
                           log['ended_at'])
        replayed = [line for line in log['out'].splitlines()
                    if any(mark in line for mark in REPLAYED)]
        if not replayed:
            return _record('filesystems_clean', True, 'no journal replayed '
                           'at mount', log['started_at'], log['ended_at'])
        # A crash-consistent capture may need the replay; a frozen one not.
        return _record('filesystems_clean', level not in FROZEN_LEVELS, (
            'journal replayed at mount (%s capture): %s' % (
                level or 'unknown', '; '.join(replayed))), log['started_at'],
            log['ended_at'])
