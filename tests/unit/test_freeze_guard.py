"""The freeze guard: real processes and pipes, a quiescer on files.

FileQuiescer freezes a guest by creating a file named after it and thaws
it by removing the file, so that an agent and its guard, two processes,
see the same guests.
"""

import os
import pathlib
import signal
import subprocess
import sys
import time

from consistent_snap.agent import guard
from consistent_snap.quiescers import base as quiescer_base
from consistent_snap import states

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
MEMBERS = [{'server_id': 's1', 'name': 'web-0', 'volumes': []},
           {'server_id': 's2', 'name': 'web-1', 'volumes': []}]
GUARD = ('import sys; sys.path.insert(0, %r); from tests.unit import '
         'test_freeze_guard as t; t.serve_guard(sys.argv[1])' % ROOT)
AGENT = ('import sys; sys.path.insert(0, %r); from tests.unit import '
         'test_freeze_guard as t; t.run_agent(sys.argv[1])' % ROOT)


class FileQuiescer(quiescer_base.Quiescer):

    def __init__(self, guests):
        super().__init__(None)
        self.guests = pathlib.Path(guests)

    def freeze(self, member, timeout):
        (self.guests / member['server_id']).touch()
        return states.Member.FILESYSTEM, None

    def thaw(self, member):
        (self.guests / member['server_id']).unlink(missing_ok=True)

    def frozen(self):
        return sorted(p.name for p in self.guests.iterdir())


def serve_guard(guests):
    """A guard process, as guard.main() but with a FileQuiescer."""
    answers = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    guard.serve(FileQuiescer(guests), sys.stdin, answers)


def run_agent(guests):
    """An agent process that freezes MEMBERS for a minute, then waits."""
    from oslo_service import backend
    backend.init_backend(backend.BackendType.THREADING)
    from consistent_snap.agent import manager
    from consistent_snap.capturers import fake
    from consistent_snap import conf as cs_conf
    conf = cs_conf.CONF
    conf([], project='consistent_snap', default_config_files=[])
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', guests + '.state')
    agent = manager.AgentManager(
        conf, 'compute-1', quiescer=FileQuiescer(guests),
        capturers=[fake.FakeCapturer(conf, None)],
        guard=guard.Guard([sys.executable, '-c', GUARD, guests]))
    agent.start()
    agent.freeze(None, 'gs1', MEMBERS, None, None, True, 60000)
    print('frozen, guard pid %d' % agent.guard.pid, flush=True)
    time.sleep(120)


def _until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_killed_agent_s_guests_are_thawed_at_once_by_its_guard(tmp_path):
    guests = tmp_path / 'guests'
    guests.mkdir()
    quiescer = FileQuiescer(guests)
    agent = subprocess.Popen([sys.executable, '-c', AGENT, str(guests)],
                             stdout=subprocess.PIPE, text=True)
    try:
        line = agent.stdout.readline()
        assert line.startswith('frozen'), line
        assert quiescer.frozen() == ['s1', 's2']
        guard_pid = int(line.split()[-1])
    finally:
        agent.kill()
        agent.wait()
    killed = time.monotonic()
    # max_freeze is a minute: it is the agent's death that thaws them.
    assert _until(lambda: quiescer.frozen() == [], 5)
    print('thawed %.2f s after the agent was killed' % (
        time.monotonic() - killed))
    # And the guard, holding nothing, is gone.
    assert _until(lambda: not _alive(guard_pid), 5)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_a_guard_that_dies_is_started_again_and_holds_again(tmp_path):
    quiescer = FileQuiescer(tmp_path)
    agents_guard = guard.Guard([sys.executable, '-c', GUARD, str(tmp_path)])
    agents_guard.start()
    try:
        deadline = time.time() + 5
        assert agents_guard.hold('gs2', 1, MEMBERS, deadline)
        for member in MEMBERS:
            quiescer.freeze(member, 1)
        first = agents_guard.pid
        os.kill(first, signal.SIGKILL)
        assert _until(lambda: agents_guard.pid != first, 5)
        # The new guard was told the hold again: it thaws at the deadline.
        assert _until(lambda: quiescer.frozen() == [], 10)
        assert deadline - 0.5 < time.time() < deadline + 2
    finally:
        agents_guard.stop()


def test_without_the_guard_s_answer_nothing_is_frozen(conf, tmp_path):
    from consistent_snap.agent import manager
    from consistent_snap.capturers import fake
    conf.set_override('check_host', False, group='agent')
    conf.set_override('state_path', str(tmp_path))
    guests = tmp_path / 'guests'
    guests.mkdir()
    deaf = guard.Guard([sys.executable, '-c', 'import sys; sys.stdin.read()'],
                       ack_timeout=0.5)
    agent = manager.AgentManager(conf, 'compute-1',
                                 quiescer=FileQuiescer(guests),
                                 capturers=[fake.FakeCapturer(conf, None)],
                                 guard=deaf)
    agent.start()
    try:
        report = agent.capture(None, 'gs3', MEMBERS, None, None, True, 2000)
    finally:
        agent.stop()
    assert FileQuiescer(guests).frozen() == []
    for member in report['members']:
        assert (member['status'], member['consistency'],
                member['consistency_reason']) == (
            'captured', 'crash', 'not frozen: the freeze guard process did '
            'not confirm its deadline')


def test_the_guard_command_answers_and_leaves_with_its_agent(tmp_path):
    config = tmp_path / 'agent.conf'
    config.write_text('[agent]\nquiescer = none\n')
    agents_guard = guard.Guard.for_agent(_parsed(config))
    agents_guard.start()
    process = agents_guard._process
    try:
        assert agents_guard.hold('gs4', 1, MEMBERS, time.time() + 60)
    finally:
        agents_guard.stop()
    # The pipe closed: it thaws what it holds (nothing to do with the
    # none quiescer) and exits.
    assert process.wait(10) == 0


def _parsed(config):
    from oslo_config import cfg

    from consistent_snap.conf import agent as agent_opts
    conf = cfg.ConfigOpts()
    agent_opts.register_opts(conf)
    conf(['--config-file', str(config)], project='consistent_snap')
    return conf
