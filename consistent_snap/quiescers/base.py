"""Quiescers freeze a guest's filesystems and thaw them."""

import abc


class Quiescer(metaclass=abc.ABCMeta):
    #: Whether freeze() waits on I/O (a guest agent, a cloud API): the agent
    #: then gives each member a thread of its own at T.
    blocks = True
    #: Whether freeze() can leave a guest frozen: only then does a guard
    #: process hold each freeze's deadline (agent/guard.py).
    freezes = True

    def __init__(self, conf):
        self.conf = conf

    @abc.abstractmethod
    def freeze(self, member, timeout):
        """Freeze the member's guest; return (level, reason).

        A guest that cannot be frozen is not an error here: it is captured
        crash-consistent, and the reason says why.
        """

    @abc.abstractmethod
    def thaw(self, member):
        """Thaw the member's guest; raise unless it is confirmed thawed.

        Called until it returns: also for a guest whose freeze failed,
        which may have frozen a moment later. Must be safe to call twice.
        """
