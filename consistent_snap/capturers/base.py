"""Capturers fix a member's point in time and turn it into artifacts."""

import abc
import dataclasses
import time


@dataclasses.dataclass
class Capture:
    """What one capturer started for one member.

    called_at is the instant just before the call that fixes the point in
    time; fixed_at the first instant the service showed it fixed. The true
    instant lies between them: that window is the honest uncertainty.
    """
    artifacts: list
    called_at: float
    fixed_at: float = None


class Capturer(metaclass=abc.ABCMeta):
    """Runs on the agent of the member's host, with service credentials."""

    #: Whether capture() waits on I/O (a guest agent, a cloud API): the agent
    #: then gives each member a thread of its own at T.
    blocks = True

    #: The "type"s of the artifacts it makes, so that whoever deletes a
    #: group snapshot finds the driver that knows how.
    artifact_types = ()

    def __init__(self, conf, connection):
        self.conf = conf
        self.conn = connection

    @abc.abstractmethod
    def capture(self, member, labels):
        """Start the capture; return a Capture.

        Called while frozen, so it returns as soon as the call is made.
        ``labels`` are properties tying artifacts to the group snapshot.
        """

    @abc.abstractmethod
    def is_fixed(self, artifact):
        """True once the artifact's point in time can no longer move."""

    @abc.abstractmethod
    def status(self, artifact):
        """The artifact's status now: 'available', 'error' or in progress."""

    @abc.abstractmethod
    def delete(self, artifact):
        """Delete the artifact; a missing one is already deleted."""

    def find(self, snapshot_id):
        """Artifacts labelled with the group snapshot, wherever made.

        Finds what an agent made but could not report (it died).
        """
        return []

    def wait_fixed(self, capture, deadline):
        """Poll until every artifact is fixed; record when."""
        pending = list(capture.artifacts)
        while pending:
            pending = [a for a in pending if not self.is_fixed(a)]
            if pending:
                if time.time() > deadline:
                    raise TimeoutError('%s still not fixed' % ', '.join(
                        a['id'] for a in pending))
                time.sleep(self.conf.agent.poll_interval)
        capture.fixed_at = time.time()
        return capture

    def wait_done(self, capture, deadline):
        """After thaw: wait until every artifact is available."""
        for artifact in capture.artifacts:
            while True:
                artifact['status'] = self.status(artifact)
                if artifact['status'] == 'available':
                    break
                if artifact['status'] == 'error':
                    raise RuntimeError('%s %s went to error' % (
                        artifact['type'], artifact['id']))
                if time.time() > deadline:
                    raise TimeoutError('%s %s is still %s' % (
                        artifact['type'], artifact['id'],
                        artifact['status']))
                time.sleep(max(self.conf.agent.poll_interval, 0.5))
