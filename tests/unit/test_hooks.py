"""Application hooks: which members run them, in which order, the level
they lead to, and the agent's hooks phase.

guest_agent.run is replaced by answers shaped as it returns them (the real
one needs a libvirt domain: tests/functional/test_real_guests.py).
"""

import oslo_messaging as messaging
import pytest

from consistent_snap import exception
from consistent_snap import hooks
from consistent_snap.virt import guest_agent
from tests.unit.test_agent_manager import _agent
from tests.unit.test_agent_manager import RecordingQuiescer

FLUSH = {'name': 'flush', 'when': 'pre_freeze', 'command': 'db flush',
         'members': ['db-0']}
PAUSE = {'name': 'pause', 'when': 'pre_freeze', 'command': 'web pause',
         'stage': 2, 'name_pattern': 'web-*'}
RESUME = {'name': 'resume', 'when': 'post_thaw', 'command': 'web resume',
          'stage': 2, 'name_pattern': 'web-*', 'timeout_s': 1}
DB = {'server_id': 's1', 'name': 'db-0', 'volumes': []}
WEB = {'server_id': 's2', 'name': 'web-0', 'volumes': []}


def test_each_member_runs_the_hooks_that_select_it_with_defaults():
    assert hooks.for_member([FLUSH, PAUSE, RESUME], DB) == [
        dict(FLUSH, timeout_s=2, on_error='fail', stage=1)]
    assert [h['name'] for h in hooks.for_member([FLUSH, PAUSE, RESUME],
                                                WEB)] == ['pause', 'resume']
    # By id too; and a hook without a selector is everyone's.
    assert len(hooks.for_member([dict(FLUSH, members=['s2'])], WEB)) == 1
    assert len(hooks.for_member([{'name': 'all', 'when': 'post_thaw',
                                  'command': 'true'}], DB)) == 1


def test_stages_run_up_before_the_freeze_and_down_after():
    payloads = [dict(DB, hooks=hooks.for_member([FLUSH, PAUSE, RESUME], DB)),
                dict(WEB, hooks=hooks.for_member([FLUSH, PAUSE, RESUME],
                                                 WEB))]
    assert hooks.stages(payloads, 'pre_freeze') == [1, 2]
    assert hooks.stages(payloads + [dict(DB, hooks=[dict(
        RESUME, stage=1, timeout_s=1, on_error='fail')])],
        'post_thaw') == [2, 1]


def test_the_hooks_must_fit_in_the_freeze_budget():
    # The longest of each stage on each side: 2 (flush) + 2 (pause) + 1.
    assert hooks.needed_s([FLUSH, PAUSE, RESUME]) == 5
    hooks.validate([FLUSH, PAUSE, RESUME], 'app_group/hooks', 5000)
    with pytest.raises(exception.InvalidBody) as refused:
        hooks.validate([FLUSH, PAUSE, RESUME], 'app_group/hooks', 4000)
    assert 'the hooks may take 5.0 s' in str(refused.value)
    assert 'freeze budget of 4.0 s ([agent] max_freeze_ms)' in str(
        refused.value)


@pytest.mark.parametrize('given, message', [
    ([FLUSH, dict(PAUSE, name='flush')], 'each hook needs a name of its own: '
     'flush'),
    ([dict(FLUSH, name_pattern='db-*')], 'hook flush: give members or '
     'name_pattern, not both'),
])
def test_a_hook_has_a_name_of_its_own_and_one_selector(given, message):
    with pytest.raises(exception.InvalidBody) as refused:
        hooks.validate(given, 'app_group/hooks', 10000)
    assert message in str(refused.value)


def _record(name, passed=True, when='pre_freeze'):
    return {'name': name, 'passed': passed, 'when': when,
            'output': 'exit 0' if passed else 'exit 3'}


@pytest.mark.parametrize('consistency, results, expected', [
    ('filesystem', [_record('flush')], ('application', 'frozen, and every '
     'hook of the application passed (flush)')),
    ('filesystem', [_record('flush', False)], ('filesystem', 'hook flush '
     'failed (on_error continue): exit 3')),
    # Not frozen: hooks alone do not make it application-consistent.
    ('crash', [_record('flush')], None),
])
def test_the_level_a_members_hooks_lead_to(consistency, results, expected):
    member = {'hooks': [FLUSH], 'hook_results': results,
              'consistency': consistency}
    assert hooks.level(member) == expected


def test_not_application_while_a_hook_is_still_to_run():
    member = {'hooks': [FLUSH, RESUME], 'hook_results': [_record('flush')],
              'consistency': 'filesystem'}
    assert hooks.level(member) is None


@pytest.fixture
def hooked_agent(conf, tmp_path, monkeypatch):
    """An agent whose guests answer guest-exec as answers[command] says."""
    agent = _agent(conf, tmp_path, RecordingQuiescer)
    agent.answers = {}
    agent.ran = []
    monkeypatch.setattr(agent, '_domain', lambda server_id: server_id)

    def run(dom, argv, timeout_s, stdin=None):
        key = argv[-1] if argv[0] == '/bin/cat' else argv[2]
        if 'fsfreeze-hook' in key:
            key = 'give the runner'
            agent.given = stdin
        agent.ran.append((dom, key))
        return agent.answers.get(key, {'exitcode': 0, 'out': 'ok',
                                       'err': ''})
    monkeypatch.setattr(guest_agent, 'run', run)
    monkeypatch.setattr(guest_agent, 'preflight',
                        lambda dom, timeout_s: agent.answers.get('preflight'))
    return agent


def _members(*given):
    return [dict(DB, hooks=hooks.for_member(given, DB)),
            dict(WEB, hooks=hooks.for_member(given, WEB))]


def test_a_stage_runs_its_hooks_and_the_freeze_makes_them_application(
        hooked_agent):
    agent = hooked_agent
    agent.prepare(None, 'h1', _members(FLUSH, PAUSE, RESUME))
    report = agent.run_phase(None, 'h1', 'hooks', {
        'when': 'pre_freeze', 'stage': 1, 'offset': 0.0})
    assert agent.ran == [('s1', 'db flush')]
    [db] = [m for m in report['members'] if m['server_id'] == 's1']
    assert [(r['name'], r['passed'], r['output']) for r in db[
        'hook_results']] == [('flush', True, 'exit 0; stdout: ok')]
    agent.run_phase(None, 'h1', 'hooks', {'when': 'pre_freeze', 'stage': 2,
                                          'offset': 0.0})
    frozen = agent.run_phase(None, 'h1', 'freeze', {
        'at': None, 'deadline': None, 'quiesce': True,
        'max_freeze_ms': 2000, 'offset': 0.0})
    levels = {m['server_id']: m['consistency'] for m in frozen['members']}
    # web-0 still has its resume to run.
    assert levels == {'s1': 'application', 's2': 'filesystem'}
    agent.run_phase(None, 'h1', 'commit', {'at': None, 'offset': 0.0})
    after = agent.run_phase(None, 'h1', 'hooks', {
        'when': 'post_thaw', 'stage': 2, 'offset': 0.0})
    assert {m['server_id']: m['consistency'] for m in after['members']} == {
        's1': 'application', 's2': 'application'}


def test_a_failing_hook_fails_its_member_naming_it_and_abort_resumes(
        hooked_agent):
    agent = hooked_agent
    agent.answers['web pause'] = {'timed_out': True, 'killed': True,
                                  'out': '', 'err': ''}
    pause_first = dict(PAUSE, stage=1)
    agent.prepare(None, 'h2', _members(FLUSH, pause_first, RESUME))
    report = agent.run_phase(None, 'h2', 'hooks', {
        'when': 'pre_freeze', 'stage': 1, 'offset': 0.0})
    [web] = [m for m in report['members'] if m['server_id'] == 's2']
    assert web['status'] == 'error'
    assert web['error'] == (
        'hook failed on host compute-1: hook pause (pre_freeze) of server '
        'web-0: still running after its timeout (killed)')
    aborted = agent.abort(None, 'h2')
    # web-0's pre-freeze hook ran (and failed): its resume runs; db-0 has
    # no post-thaw hook.
    assert agent.ran[-1] == ('s2', 'web resume')
    [web] = [m for m in aborted['members'] if m['server_id'] == 's2']
    assert [r['name'] for r in web['hook_results']] == ['pause', 'resume']


def test_a_hook_that_may_continue_leaves_its_member_filesystem(
        hooked_agent):
    agent = hooked_agent
    agent.answers['db flush'] = {'exitcode': 3, 'out': '', 'err': 'busy'}
    agent.prepare(None, 'h3', _members(dict(FLUSH, on_error='continue')))
    agent.run_phase(None, 'h3', 'hooks', {'when': 'pre_freeze', 'stage': 1,
                                          'offset': 0.0})
    frozen = agent.run_phase(None, 'h3', 'freeze', {
        'at': None, 'deadline': None, 'quiesce': True,
        'max_freeze_ms': 2000, 'offset': 0.0})
    [db] = [m for m in frozen['members'] if m['server_id'] == 's1']
    assert (db['status'], db['consistency'], db['consistency_reason']) == (
        'frozen', 'filesystem', 'hook flush failed (on_error continue): '
        'exit 3; stderr: busy')
    agent.abort(None, 'h3')


def _refused(agent, snapshot_id, members):
    with pytest.raises(messaging.ExpectedException) as raised:
        agent.prepare(None, snapshot_id, members)
    error = raised.value.exc_info[1]
    assert isinstance(error, exception.HooksNotPossible)
    assert agent.quiescer.freezes == 0
    return str(error)


def test_prepare_names_a_guest_that_cannot_run_hooks(conf, tmp_path):
    agent = _agent(conf, tmp_path, RecordingQuiescer)
    assert _refused(agent, 'h4', _members(FLUSH)) == (
        'Hooks cannot run in the guest of server db-0 (s1) on host '
        'compute-1: this host reaches no guest agent (its quiescer is none). '
        'Nothing was frozen.')


def test_prepare_names_a_guest_agent_that_refuses_guest_exec(hooked_agent):
    hooked_agent.answers['preflight'] = (
        'its qemu-guest-agent does not allow guest-exec, guest-exec-status')
    assert _refused(hooked_agent, 'h5', _members(FLUSH)) == (
        'Hooks cannot run in the guest of server db-0 (s1) on host '
        'compute-1: its qemu-guest-agent does not allow guest-exec, '
        'guest-exec-status. Nothing was frozen.')


LOCK = {'name': 'lock', 'when': 'in_freeze', 'command': 'db lock\tnow',
        'members': ['db-0'], 'timeout_s': 1.5}


def test_the_runner_gets_its_steps_and_gives_back_their_outcome():
    text = hooks.steps_file(hooks.for_member([FLUSH, LOCK], DB), 1000)
    assert text == 'expires 1000\nlock\t2\tdb lock now\n'
    assert hooks.parse_results(
        'lock\t0\t0.25\tlocked\nbad\t137\t1.01\tKilled\nnoise\n') == {
        'lock': (0, 0.25, 'locked'), 'bad': (137, 1.01, 'Killed')}
    # Their results are read after the thaw, with the post-thaw stages.
    payloads = [dict(DB, hooks=hooks.for_member([LOCK], DB))]
    assert hooks.stages(payloads, 'post_thaw') == [1]
    assert hooks.stages(payloads, 'pre_freeze') == []


def test_in_freeze_steps_are_handed_over_at_prepare_and_read_after_thaw(
        hooked_agent):
    agent = hooked_agent
    runner_results = '/run/consistent-snap/in-freeze.results'
    agent.answers[runner_results] = {'exitcode': 0, 'err': '',
                                     'out': 'lock\t0\t0.25\tlocked\n'}
    agent.prepare(None, 'h6', _members(LOCK))
    assert agent.given.splitlines()[1:] == ['lock\t2\tdb lock now']
    agent.run_phase(None, 'h6', 'freeze', {
        'at': None, 'deadline': None, 'quiesce': True,
        'max_freeze_ms': 2000, 'offset': 0.0})
    agent.run_phase(None, 'h6', 'commit', {'at': None, 'offset': 0.0})
    after = agent.run_phase(None, 'h6', 'hooks', {
        'when': 'post_thaw', 'stage': 1, 'offset': 0.0})
    [db] = [m for m in after['members'] if m['server_id'] == 's1']
    [record] = db['hook_results']
    assert (record['name'], record['passed'], record['output']) == (
        'lock', True, 'exit 0; output: locked')
    assert record['ended_at'] - record['started_at'] == 0.25
    assert db['consistency'] == 'application'


def test_a_failed_in_freeze_step_fails_its_member_naming_it(hooked_agent):
    agent = hooked_agent
    agent.answers['/run/consistent-snap/in-freeze.results'] = {
        'exitcode': 0, 'err': '', 'out': 'lock\t137\t1.01\tKilled\n'}
    agent.prepare(None, 'h7', _members(LOCK))
    report = agent.run_phase(None, 'h7', 'hooks', {
        'when': 'post_thaw', 'stage': 1, 'offset': 0.0})
    [db] = [m for m in report['members'] if m['server_id'] == 's1']
    assert db['status'] == 'error'
    assert db['error'].endswith(
        'hook lock (in_freeze) of server db-0 failed inside the freeze, '
        'which it stopped: exit 137; output: Killed')


def test_prepare_names_a_guest_without_the_in_freeze_runner(hooked_agent):
    hooked_agent.answers['give the runner'] = {'exitcode': 3, 'out': '',
                                               'err': ''}
    message = _refused(hooked_agent, 'h8', _members(LOCK))
    assert message.startswith(
        'Hooks cannot run in the guest of server db-0 (s1) on host '
        'compute-1: its guest has no in-freeze hook runner: install '
        'etc/guest/consistent-snap-fsfreeze-hook')


def test_an_abort_takes_the_in_freeze_steps_back_from_the_runner(
        hooked_agent):
    hooked_agent.prepare(None, 'h9', _members(LOCK))
    hooked_agent.abort(None, 'h9')
    assert hooked_agent.ran[-1] == ('s1',
                                    '/run/consistent-snap/in-freeze.steps')


def test_a_stage_of_in_freeze_steps_alone_is_read_back_after_the_thaw():
    payloads = [dict(DB, hooks=hooks.for_member([dict(LOCK, stage=3)], DB))]
    assert hooks.stages(payloads, 'post_thaw') == [3]
    assert hooks.stage_timeout_s(payloads, 'post_thaw', 3) == 1.5
