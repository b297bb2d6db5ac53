"""Capturers fix a member's point in time and turn it into artifacts."""

import abc
import dataclasses
import time
import urllib.parse

from openstack import exceptions as sdk_exceptions

# Every artifact's label: the group snapshot it belongs to (an image's
# property, a volume snapshot's metadata, a group snapshot's description).
LABEL = 'consistent_snap_group_snapshot_id'


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


class PartialCapture(Exception):
    """A capture that failed after it had made some artifacts.

    ``capture`` holds them: the agent records them at once, so that an
    abort, a reap or the garbage collector can delete them.
    """

    def __init__(self, capture, cause):
        super().__init__(str(cause))
        self.capture = capture
        self.cause = cause


def list_all(proxy, path, key, params=None, microversion=None,
             marker_pages=False):
    """Every item of an OpenStack list call, reading every page.

    A raw GET answers one page only: Glance's 25 images by default, Cinder's
    [DEFAULT] osapi_max_limit (1000). The next page is the query of the
    link the service gives, sent to the same path through the same
    endpoint (the link's host may not be the one the catalog names):
    Glance's ``next`` (``/v2/images?...&marker=``), Cinder's and Nova's
    ``<key>_links`` (``rel: next``). With ``marker_pages``, for lists that
    give no link (Cinder's group snapshots): the id of a page's last item
    is the next page's marker, until an empty page.
    """
    params = dict(params or {})
    kwargs = {} if microversion is None else {'microversion': microversion}
    markers = set()
    while True:
        response = proxy.get(path, params=params, **kwargs)
        sdk_exceptions.raise_from_response(response)
        body = response.json()
        items = body[key]
        yield from items
        query = _next_query(body, key)
        if query is None and marker_pages and items:
            query = dict(params, marker=items[-1]['id'])
        if query is None:
            return
        marker = str(query.get('marker'))
        if marker in markers:
            raise RuntimeError('%s: the service gave marker %s twice; not '
                               'following its pages any further' % (
                                   path, marker))
        markers.add(marker)
        params = query


def _next_query(body, key):
    """The query of the next page's link, or None on the last page."""
    link = body.get('next')
    for item in body.get('%s_links' % key) or ():
        if item.get('rel') == 'next' and item.get('href'):
            link = item['href']
    if not link:
        return None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}


def read_one_image(conn):
    """Glance's first call as this connection (see Capturer.warm_up)."""
    next(iter(conn.image.images(limit=1)), None)


def is_admin(conn):
    """Whether conn's token carries the admin role.

    Only then may a Cinder list ask for every project's resources
    (all_tenants): to anyone else, Cinder answers a group snapshot list
    that asks for it with nothing at all.
    """
    try:
        return 'admin' in conn.session.auth.get_access(
            conn.session).role_names
    except Exception:
        return False


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

    @classmethod
    def recover(cls, conf):
        """At agent start, before it serves: finish what a killed agent
        left half done on this host. Nothing, for most.
        """

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

    def warm_up(self, members):
        """In prepare, the first calls as the requester: cheap reads.

        A token is had, each service's versions discovered, and each
        service has checked that token, before T: after T, that took
        seconds of the fence's window. Reading the members also checks
        that the requester may still act on them.
        """

    def find(self, snapshot_id):
        """Artifacts labelled with the group snapshot, wherever made.

        Finds what an agent made but could not report (it died).
        """
        return []

    def wait_fixed(self, capture, deadline):
        """Poll until every artifact is fixed; record when.

        The interval doubles from poll_interval to poll_max_interval: a
        fast point is seen at once, and a slow one (seconds, for Nova) is
        not polled so often that the polls slow the cloud that fixes it.
        fixed_at is when it was seen fixed: late by at most one interval,
        never early.
        """
        pending = list(capture.artifacts)
        interval = self.conf.agent.poll_interval
        while pending:
            pending = [a for a in pending if not self.is_fixed(a)]
            if pending:
                if time.time() > deadline:
                    raise TimeoutError('%s still not fixed' % ', '.join(
                        a['id'] for a in pending))
                time.sleep(interval)
                interval = min(interval * 2,
                               self.conf.agent.poll_max_interval)
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
