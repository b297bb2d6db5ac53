"""A verification's verdict from what the agents and Nova answer.

The answers are shaped as virt.guest_agent.check and the SDK give them;
the real ones: tests/functional/test_real_guests.py (QEMU guests) and
test_restore_app.py (fake hosts).
"""

import types

from consistent_snap.restore import checks

MEMBER = {'server_id': 's1', 'server_name': 'db-0', 'name': 'db-0-verify-r1',
          'new_server_id': 'n1'}


OTHER = {'server_id': 's2', 'server_name': 'web-0', 'name': 'web-0-verify-r1',
         'new_server_id': 'n2'}


class _Nova:
    """conn.compute.get_server, as the SDK answers it."""

    def __init__(self, status='ACTIVE', addresses=None):
        self.compute = self
        self.status = status
        # {new server id: fixed IPv4}
        self.addresses = addresses or {'n1': '10.30.0.5', 'n2': '10.30.0.6'}

    def get_server(self, server_id):
        address = self.addresses.get(server_id)
        return types.SimpleNamespace(
            id=server_id, status=self.status, fault=None,
            compute_host='compute-real',
            addresses={'app-net-verify-r1': [{
                'version': 4, 'addr': address, 'OS-EXT-IPS:type': 'fixed',
                'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01'}]} if (
                    address) else {})


class _Agents:
    def __init__(self, answer):
        self.answer = answer
        self.sent = []

    def guest_check(self, context, host, server_id, ping_timeout_s,
                    commands):
        self.sent.append((host, server_id, commands))
        return self.answer


def _result(out='', exitcode=0, **values):
    return dict({'exitcode': exitcode, 'out': out, 'err': '',
                 'started_at': 1.0, 'ended_at': 2.0}, **values)


def _run(answer, requested=(), level='filesystem', status='ACTIVE'):
    agents = _Agents(answer)
    evidence = {'s1': {'steps': [{'step': 'server', 'ended_at': 5.0}]}}
    failures = checks.Checks(None, _Nova(), agents, list(requested)).run(
        _Nova(status), [MEMBER], evidence, {'s1': level})
    return failures, {c['check']: c for c in evidence['s1']['checks']}, (
        agents.sent)


COUNTER = {'name': 'counter', 'command': 'cat /mnt/d0/counter'}


def test_every_check_passes_on_a_clean_guest():
    failures, found, sent = _run(
        {'ping_s': 4.2, 'error': None, 'results': [
            _result('EXT4-fs (vda): mounted filesystem r/w'),
            _result('41\n')]}, [COUNTER])
    assert failures == []
    assert {k: v['passed'] for k, v in found.items()} == {
        'server_active': True, 'guest_agent': True,
        'filesystems_clean': True, 'counter': True}
    assert found['counter']['output'] == 'exit 0; stdout: 41'
    [(host, server_id, commands)] = sent
    assert (host, server_id) == ('compute-real', 'n1')
    assert commands[1] == {'argv': ['/bin/sh', '-c', 'cat /mnt/d0/counter'],
                           'timeout_s': 30}


def test_a_journal_replayed_fails_a_frozen_capture_not_a_crash_one():
    answer = {'ping_s': 1.0, 'error': None, 'results': [
        _result('EXT4-fs (vda): recovery complete')]}
    failures, found, _ = _run(answer, level='filesystem')
    assert found['filesystems_clean']['passed'] is False
    assert failures == [
        'check filesystems_clean of db-0-verify-r1 (from server s1) failed: '
        'journal replayed at mount (filesystem capture): EXT4-fs (vda): '
        'recovery complete']
    failures, found, _ = _run(answer, level='crash')
    assert failures == [] and found['filesystems_clean']['passed'] is True


def test_a_host_without_a_guest_agent_skips_but_fails_what_was_asked():
    failures, found, _ = _run({'skipped': 'host compute-1 reaches no guest '
                                          'agent', 'error': None,
                               'ping_s': None, 'results': []}, [COUNTER])
    assert found['guest_agent']['passed'] is None
    assert found['counter']['passed'] is False
    assert failures == ['check counter of db-0-verify-r1 (from server s1) '
                        'failed: not run: host compute-1 reaches no guest '
                        'agent']


def test_a_silent_agent_a_wrong_exit_and_an_overrun_each_fail():
    failures, found, _ = _run({'ping_s': None, 'error': 'qemu-guest-agent '
                               'did not answer', 'results': []})
    assert found['guest_agent']['passed'] is False
    failures, found, _ = _run({'ping_s': 1.0, 'error': None, 'results': [
        _result(''), _result('', exitcode=1, err='no such file'),
        _result('', exitcode=None, timed_out=True)]}, [
        COUNTER, {'name': 'hangs', 'command': 'sleep 99', 'timeout_s': 2}])
    assert found['counter']['output'] == 'exit 1; stderr: no such file'
    assert found['hangs']['output'] == 'still running after its timeout'
    assert len(failures) == 2


def test_a_check_for_other_members_is_not_run_here():
    _, found, sent = _run({'ping_s': 1.0, 'error': None, 'results': [
        _result('')]}, [dict(COUNTER, members=['web-0'])])
    assert 'counter' not in found
    assert len(sent[0][2]) == 1  # The kernel log only.


def test_a_server_no_longer_active_fails():
    failures, found, _ = _run({'ping_s': 1.0, 'error': None, 'results': [
        _result('')]}, status='ERROR')
    assert found['server_active']['passed'] is False
    assert failures[0].startswith('check server_active of db-0-verify-r1')


def _run_two(answer, requested, addresses=None):
    agents = _Agents(answer)
    evidence = {m['server_id']: {'steps': [
        {'step': 'server', 'ended_at': t}]} for m, t in ((MEMBER, 5.0),
                                                         (OTHER, 6.0))}
    failures = checks.Checks(None, _Nova(), agents, list(requested)).run(
        _Nova(addresses=addresses), [MEMBER, OTHER], evidence,
        {'s1': 'filesystem', 's2': 'filesystem'})
    return failures, evidence, agents.sent


def test_a_port_check_connects_from_the_guest_to_the_named_members_address():
    answer = {'ping_s': 1.0, 'error': None, 'results': [
        _result(''), _result('connected to 10.30.0.5:5432\n')]}
    port = {'name': 'db-port', 'port': 5432, 'to': 'db-0',
            'members': ['web-0'], 'timeout_s': 4}
    failures, evidence, sent = _run_two(answer, [port])
    assert failures == []
    # Run in web-0's guest only, to db-0's restored address.
    [(_, server_id, commands)] = [s for s in sent if len(s[2]) > 1]
    assert server_id == 'n2'
    argv = commands[1]['argv']
    assert argv[:2] == ['/bin/sh', '-c'] and argv[2] == checks.TCP_CONNECT
    assert argv[3:] == ['tcp-check', '10.30.0.5', '5432', '4']
    assert commands[1]['timeout_s'] == 9
    [found] = [c for c in evidence['s2']['checks'] if c['check'] == 'db-port']
    assert found['passed'] is True
    assert found['output'] == 'exit 0; stdout: connected to 10.30.0.5:5432'
    assert 'db-port' not in [c['check'] for c in evidence['s1']['checks']]


def test_a_port_refused_or_unreachable_fails_naming_it():
    answer = {'ping_s': 1.0, 'error': None, 'results': [
        _result(''), _result('no connection to 10.30.0.5:7 (refused, '
                             'unreachable or no answer in 30s)\n',
                             exitcode=1)]}
    failures, _, sent = _run(answer, [{'name': 'echo', 'port': 7}])
    # Without `to`, the member's own restored address.
    assert sent[0][2][1]['argv'][4:6] == ['10.30.0.5', '7']
    assert failures == [
        'check echo of db-0-verify-r1 (from server s1) failed: exit 1; '
        'stdout: no connection to 10.30.0.5:7 (refused, unreachable or no '
        'answer in 30s)']


def test_a_port_of_a_member_without_an_address_fails_without_running():
    answer = {'ping_s': 1.0, 'error': None, 'results': [_result('')]}
    failures, _, sent = _run_two(answer, [
        {'name': 'db-port', 'port': 5432, 'to': 'db-0',
         'members': ['web-0']}], addresses={'n2': '10.30.0.6'})
    assert all(len(commands) == 1 for _, _, commands in sent)
    assert failures == [
        'check db-port of web-0-verify-r1 (from server s2) failed: not run: '
        'db-0 has no restored address']
