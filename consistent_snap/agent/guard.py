"""The freeze guard: an agent's guests are thawed even if it dies.

The dead-man timer lives in the agent: an agent killed while its guests
are frozen, and not started again, would leave them frozen. So each agent
process starts this small process, in a session of its own (a signal to
the agent's process group does not reach it), and before each freeze
tells it over a pipe what it will freeze and until when, and waits for
its answer. The guard thaws at the deadline, with the agent's own
quiescer and configuration; when the pipe closes (the agent died or
stopped) it thaws at once everything it holds, and exits once every thaw
was confirmed.

One JSON object a line:
  agent to guard: {"hold": key, "token": t, "members": [...],
                   "deadline": epoch}, then {"release": key, "token": t}
  guard to agent: {"held": key, "token": t}
"""

import json
import os
import subprocess
import sys
import threading
import time

from oslo_log import log as logging

from consistent_snap.agent import deadman
from consistent_snap import conf as cs_conf
from consistent_snap import drivers

LOG = logging.getLogger(__name__)
# After the agent's own timer (deadman.THAW_MARGIN_S), still before
# max_freeze: a live agent thaws first, and knows what it captured.
GUARD_MARGIN_S = 0.1
# A guard that was just started again needs about 1 s to import.
ACK_TIMEOUT_S = 3.0
# Between a guard's death and the next one: no busy loop if it cannot run.
RESTART_DELAY_S = 0.5


def serve(quiescer, lines, answers):
    """Hold each deadline read from ``lines``; at their end, thaw all."""
    holds = deadman.Deadman(quiescer.thaw, margin=GUARD_MARGIN_S)
    tokens = {}  # key: (the agent's token, the guard's)
    for line in lines:
        message = json.loads(line)
        key = message.get('hold') or message.get('release')
        if 'hold' in message:
            tokens[key] = (message['token'], holds.arm(
                key, message['members'], message['deadline']))
            answers.write(json.dumps({'held': key,
                                      'token': message['token']}) + '\n')
            answers.flush()
        elif tokens.get(key, (None,))[0] == message['token']:
            holds.release(key, tokens.pop(key)[1])
    holds.expire_all('the agent is gone')
    holds.wait_idle()


def main():
    # Answers go to the agent on our stdout; whatever else writes there
    # (oslo.log does by default) goes to stderr, the agent's log.
    answers = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    conf = cs_conf.CONF
    logging.register_options(conf)
    conf(sys.argv[1:], project='consistent_snap')
    logging.setup(conf, 'consistent-snap-guard')
    quiescer = drivers.load('consistent_snap.quiescers', conf.agent.quiescer,
                            conf)
    LOG.info('Holding the freeze deadlines of agent pid %d', os.getppid())
    serve(quiescer, sys.stdin, answers)


class Guard:
    """The agent's side: starts its guard, tells it each hold and release.

    A guard that dies is started again, and told again what is held.
    """

    def __init__(self, argv, ack_timeout=ACK_TIMEOUT_S):
        self._argv = argv
        self._ack_timeout = ack_timeout
        self._lock = threading.Lock()
        self._process = None
        self._stopping = False
        self._held = {}  # key: (token, its hold line)
        self._acks = {}  # (key, token): set by the guard's answer

    @classmethod
    def for_agent(cls, conf):
        """A guard with the agent's configuration, hence its quiescer."""
        argv = [sys.executable, '-m', 'consistent_snap.agent.guard']
        for path in conf.config_file:
            argv += ['--config-file', path]
        for path in conf.config_dir:
            argv += ['--config-dir', path]
        return cls(argv)

    @property
    def pid(self):
        return self._process.pid if self._process else None

    def start(self):
        with self._lock:
            self._spawn()

    def stop(self):
        """Close the pipe: the guard thaws what it still holds, and exits."""
        with self._lock:
            self._stopping = True
            if self._process is not None:
                self._process.stdin.close()

    def hold(self, key, token, members, deadline):
        """True once the guard holds them, False if it did not say so."""
        line = json.dumps({'hold': key, 'token': token, 'members': members,
                           'deadline': deadline}) + '\n'
        held = threading.Event()
        with self._lock:
            self._held[key] = (token, line)
            self._acks[key, token] = held
            self._send(line)
        confirmed = held.wait(self._ack_timeout)
        with self._lock:
            self._acks.pop((key, token), None)
        if not confirmed:
            LOG.error('The freeze guard did not confirm %s within %.1f s',
                      key, self._ack_timeout)
        return confirmed

    def release(self, key, token):
        with self._lock:
            if self._held.get(key, (None,))[0] != token:
                return
            del self._held[key]
            self._send(json.dumps({'release': key, 'token': token}) + '\n')

    def _send(self, line):
        """Under the lock; a dead guard is replaced and told every hold."""
        if self._process is None or self._process.poll() is not None:
            self._spawn()
        elif not self._write(line):
            self._process.kill()  # Alive but deaf: replace it.
            self._process.wait()
            self._spawn()

    def _write(self, line):
        try:
            self._process.stdin.write(line.encode())
            self._process.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def _spawn(self):
        if self._process is not None:
            LOG.warning('The freeze guard (pid %d) exited with %s: starting '
                        'another', self._process.pid, self._process.poll())
        self._process = subprocess.Popen(
            self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            start_new_session=True)
        threading.Thread(target=self._read, args=(self._process,),
                         name='freeze-guard', daemon=True).start()
        for _token, line in self._held.values():
            self._write(line)

    def _read(self, process):
        for line in process.stdout:
            answer = json.loads(line)
            with self._lock:
                held = self._acks.get((answer['held'], answer['token']))
            if held is not None:
                held.set()
        process.wait()
        time.sleep(RESTART_DELAY_S)
        with self._lock:
            # Started again at once, not at the next freeze, which would
            # have to wait for it.
            if self._process is process and not self._stopping:
                self._spawn()


if __name__ == '__main__':
    main()
