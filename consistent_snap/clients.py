"""openstacksdk connections made with the service's own credentials.

The service reads Nova, Heat, Cinder and Glance as an admin service user,
filtered to the project that owns the app group: this is what lets it see
compute hosts, and lets the scheduler work with no user token at hand.
"""

import threading

from keystoneauth1 import loading as ks_loading
import openstack

from consistent_snap.conf import service_credentials

_LOCK = threading.Lock()
_CONNECTION = None


def service_connection(conf):
    """One shared connection per process; openstacksdk is thread-safe."""
    global _CONNECTION
    with _LOCK:
        if _CONNECTION is None:
            group = service_credentials.GROUP.name
            auth = ks_loading.load_auth_from_conf_options(conf, group)
            session = ks_loading.load_session_from_conf_options(
                conf, group, auth=auth)
            opts = conf[group]
            _CONNECTION = openstack.connection.Connection(
                session=session, region_name=opts.region_name,
                interface=opts.interface, app_name='consistent-snap')
        return _CONNECTION


def reset():
    global _CONNECTION
    _CONNECTION = None
