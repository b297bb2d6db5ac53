"""Keystone trusts: the service acting in the user's project, as the user.

A group snapshot's images and volume snapshots must belong to the project
that asked for it, so the agents create them through a trust the user
delegates to the service user when asking (impersonation: Nova, Glance
and Cinder see the user). Deleting and cleaning up need no trust: the
service's own admin credentials do it.

A backup policy fires when nobody's token is at hand: its creator's trust
is made with the policy, without expiry, and revoked with it.
"""

import collections
import datetime
import threading

from keystoneauth1 import loading as ks_loading
import openstack
from openstack import exceptions as sdk_exceptions
from oslo_log import log as logging

from consistent_snap import clients
from consistent_snap.conf import service_credentials

LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_CONNECTIONS = collections.OrderedDict()
_CACHED = 32  # Trusts of the snapshots in progress on this host.
# Only what the capture needs, never the user's admin role.
DELEGATED_ROLES = ('member', 'reader')
# Requests of one user within one second, each with its own trust.
_SAME_SECOND_TRIES = 20
# What a backup policy's snapshots and verifications record as their
# requester, before the policy's id: they act through the policy's trust,
# which stays for its next run.
POLICY_RUN = 'policy:'


def delegated_per_request(requested_by):
    """Whether the work's trust was made for it, to revoke when it ends."""
    return not requested_by.startswith(POLICY_RUN)


def _connection(conf, auth):
    """A connection as ``auth``, with the service's TLS and timeout."""
    group = service_credentials.GROUP.name
    opts = conf[group]
    session = ks_loading.load_session_from_conf_options(conf, group,
                                                        auth=auth)
    return openstack.connection.Connection(
        session=session, region_name=opts.region_name,
        interface=opts.interface, app_name='consistent-snap')


def create(conf, user_auth, context, lifetime_s=None):
    """A trust from the caller to the service user; returns its id.

    Without lifetime_s it lasts until deleted: a backup policy's.
    """
    trustee = clients.service_connection(conf).current_user_id
    roles = [{'name': r} for r in context.roles if r in DELEGATED_ROLES]
    identity = _connection(conf, user_auth).identity
    fields = dict(trustor_user_id=context.user_id, trustee_user_id=trustee,
                  project_id=context.project_id, roles=roles,
                  is_impersonation=True)
    if lifetime_s is None:
        return identity.create_trust(**fields).id
    expires_at = (datetime.datetime.now(datetime.timezone.utc) +
                  datetime.timedelta(seconds=lifetime_s))
    for attempt in range(_SAME_SECOND_TRIES):
        try:
            return identity.create_trust(expires_at=(
                expires_at + datetime.timedelta(seconds=attempt)).strftime(
                    '%Y-%m-%dT%H:%M:%S.%fZ'), **fields).id
        except sdk_exceptions.ConflictException:
            # Keystone keeps one trust per trustor, trustee, project and
            # expiry, to the second: a request of the same user in the
            # same second expires one second later.
            if attempt == _SAME_SECOND_TRIES - 1:
                raise


def from_request(conf, req, context, lifetime_s=None):
    """The caller's trust for an API request, or None without Keystone.

    Without Keystone (noauth) there is nobody to delegate: what is made
    then belongs to the service user's project.
    """
    user_auth = req.environ.get('keystone.token_auth')
    if user_auth is None:
        return None
    return create(conf, user_auth, context, lifetime_s)


def delete(conf, trust_id):
    """Revoke a trust, as the service user (an admin may)."""
    clients.service_connection(conf).identity.delete_trust(
        trust_id, ignore_missing=True)
    with _LOCK:
        _CONNECTIONS.pop(trust_id, None)


def revoke(conf, trust_id, forget, owner):
    """Revoke the trust of a finished piece of work, then forget() it.

    Nothing more is made with it; left alone it would last its whole
    lifetime. A failure only leaves it to expire, so it is logged (naming
    ``owner``), never raised: nobody waits on Keystone for it.
    """
    try:
        delete(conf, trust_id)
    except Exception as e:
        LOG.warning('%s: its trust was not revoked, it expires by itself: '
                    '%s', owner, e)
        return
    try:
        forget()
    except Exception as e:
        # Deleted meanwhile, say: a revoked trust's id is harmless.
        LOG.info('%s: its trust was revoked; its id stays recorded (%s)',
                 owner, e)


def connection(conf, trust_id):
    """The service user's credentials, scoped by the trust."""
    with _LOCK:
        if trust_id not in _CONNECTIONS:
            auth = ks_loading.load_auth_from_conf_options(
                conf, service_credentials.GROUP.name, trust_id=trust_id,
                project_id=None, project_name=None, project_domain_id=None,
                project_domain_name=None)
            _CONNECTIONS[trust_id] = _connection(conf, auth)
            while len(_CONNECTIONS) > _CACHED:
                _CONNECTIONS.popitem(last=False)
        return _CONNECTIONS[trust_id]
