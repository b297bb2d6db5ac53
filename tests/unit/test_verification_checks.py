"""A verification's verdict from what the agents and Nova answer.

The answers are shaped as virt.guest_agent.check and the SDK give them;
the real ones: tests/functional/test_real_guests.py (QEMU guests) and
test_restore_app.py (fake hosts).
"""

import types

from consistent_snap.restore import checks

MEMBER = {'server_id': 's1', 'server_name': 'db-0', 'name': 'db-0-verify-r1',
          'new_server_id': 'n1'}


class _Nova:
    """conn.compute.get_server, as the SDK answers it."""

    def __init__(self, status='ACTIVE'):
        self.compute = self
        self.status = status

    def get_server(self, server_id):
        return types.SimpleNamespace(id=server_id, status=self.status,
                                     fault=None, compute_host='compute-real')


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
