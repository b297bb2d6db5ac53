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
- each check of its app group and of the request for it (the request's
  replacing the group's of the same name), run in its guest through
  guest-exec: a command, passed when it exits with the expected code in
  its time; or a TCP port, passed when the member named by `to` (itself
  without it) accepts a connection on its restored address, from inside
  the isolated network.

The guest's checks run on the host of the restored server, by its
consistent-snap-agent (agent RPC 1.5).
"""

import time

from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap.virt import guest_agent

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
# Opens a TCP connection ($1 address, $2 port, $3 seconds) from the guest:
# through bash's /dev/tcp where there is bash, else busybox nc, which ends
# at once when refused or unreachable (exit 1), and once accepted waits for
# the server (so still running when cut: accepted).
TCP_CONNECT = (
    'a=$1 p=$2 t=$3\n'
    'if command -v bash >/dev/null 2>&1 && command -v timeout >/dev/null '
    '2>&1; then\n'
    '  timeout "$t" bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$a" "$p" '
    '2>/dev/null; rc=$?\n'
    'else\n'
    '  busybox timeout $((t + 2)) busybox nc -w "$t" "$a" "$p" </dev/null '
    '>/dev/null 2>&1; rc=$?\n'
    '  [ $rc -eq 143 ] && rc=0\n'
    'fi\n'
    'if [ $rc -eq 0 ]; then echo "connected to $a:$p"; else\n'
    '  echo "no connection to $a:$p (refused, unreachable or no answer in '
    '${t}s)"; exit 1; fi\n')


def of_snapshot(context, snap, requested):
    """The checks of a verification of snap.

    Its app group's (if the group still exists), each replaced by the
    request's of the same name.
    """
    stored = []
    if snap['app_group_id']:
        try:
            stored = db_api.app_group_get(context, snap['app_group_id'])[
                'checks'] or []
        except exception.AppGroupNotFound:
            pass
    names = {c['name'] for c in requested or ()}
    return [c for c in stored if c['name'] not in names] + list(
        requested or ())


def _record(check, passed, output, started_at, ended_at=None):
    return {'check': check, 'passed': passed,
            'output': (output or '')[:OUTPUT_MAX], 'started_at': started_at,
            'ended_at': ended_at or time.time()}


def _server(conn, member):
    try:
        return conn.compute.get_server(member['new_server_id'])
    except Exception as e:
        return e


def _address(server):
    """The restored server's first fixed IPv4 address, if any."""
    if isinstance(server, Exception):
        return None
    return next((a['addr'] for addresses in (server.addresses or {}).values()
                 for a in addresses if a.get('version') == 4 and
                 a.get('OS-EXT-IPS:type', 'fixed') == 'fixed'), None)


class Checks:
    """The checks of one verification.

    requested: of_snapshot's, [{'name', 'command' or 'port' and 'to',
    'timeout_s', 'expect_exit', 'members'}] (api/schemas/checks.py);
    agents: the coordinator's AgentAPI.
    """

    def __init__(self, context, admin, agents, requested):
        self.context = context
        self.admin = admin
        self.agents = agents
        self.requested = requested or []
        # Server id and name at snapshot time -> the restored address.
        self.addresses = {}

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

        servers = {m['server_id']: _server(conn, m) for m in members}
        for member in members:
            address = _address(servers[member['server_id']])
            if address:
                self.addresses[member['server_id']] = address
                self.addresses[member['server_name']] = address
        failures = []
        for member in sorted(members, key=came_up):
            records = self._member(member, servers[member['server_id']],
                                   levels.get(member['server_id']))
            evidence[member['server_id']]['checks'] = records
            failures += ['check %s of %s (from server %s) failed: %s' % (
                r['check'], member['name'], member['server_id'],
                r['output']) for r in records if r['passed'] is False]
        return failures

    def _member(self, member, server, level):
        started = time.time()
        if isinstance(server, Exception):
            return [_record('server_active', False,
                            'could not be read: %s' % server, started)]
        output = 'server %s is %s%s' % (server.id, server.status, (
            ': %s' % server.fault['message'] if (server.fault or {}).get(
                'message') else ''))
        return [_record('server_active', server.status == 'ACTIVE', output,
                        started)] + self._guest(member, level)

    def _command(self, check, member):
        """What the guest runs for check; None: nothing it can run."""
        timeout_s = check.get('timeout_s', 30)
        if 'command' in check:
            return {'argv': ['/bin/sh', '-c', check['command']],
                    'timeout_s': timeout_s}
        address = self.addresses.get(check.get('to') or member['server_id'])
        return address and {
            'argv': ['/bin/sh', '-c', TCP_CONNECT, 'tcp-check', address,
                     str(check['port']), str(timeout_s)],
            'timeout_s': timeout_s + 5}

    def _guest(self, member, level):
        wanted = [(c, self._command(c, member)) for c in self._wanted(member)]
        commands = [KERNEL_LOG] + [command for _, command in wanted
                                   if command]
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
                reason), started) for c, _ in wanted]
        records = [_record('guest_agent', True, 'answered guest-ping after '
                           '%.1f s' % answer['ping_s'], started)]
        log, *results = answer['results']
        records.append(self._clean(log, level))
        results = iter(results)
        for check, command in wanted:
            if not command:
                records.append(_record(check['name'], False, (
                    'not run: %s has no restored address' % (
                        check.get('to') or member['name'])), started))
                continue
            result = next(results)
            passed = not result.get('error') and not result.get(
                'timed_out') and result.get('exitcode') == check.get(
                    'expect_exit', 0)
            records.append(_record(check['name'], passed,
                                   guest_agent.describe(result),
                                   result['started_at'], result['ended_at']))
        return records

    @staticmethod
    def _clean(log, level):
        if log.get('error') or log.get('timed_out') or log.get('exitcode'):
            return _record('filesystems_clean', None, 'kernel log not read: '
                           '%s' % guest_agent.describe(log), log['started_at'],
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
