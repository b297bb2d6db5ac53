"""oslo.messaging plumbing.

Transport, clients, servers, notifier, and the context on the wire.
"""

from oslo_config import cfg
import oslo_messaging as messaging
from oslo_messaging.rpc import dispatcher

from consistent_snap import context as cs_context
from consistent_snap import exception

AGENT_TOPIC = 'consistent-snap-agent'
AGENT_PRIORITY_TOPIC = 'consistent-snap-agent-priority'
COORDINATOR_TOPIC = 'consistent-snap-coordinator'
# Agents' answers to broadcasts: an executor of their own, so that no
# request in progress delays a report a fence waits for.
REPORTS_TOPIC = 'consistent-snap-coordinator-reports'

_TRANSPORT = None
_NOTIFICATION_TRANSPORT = None
_CONF = None
# Our exceptions cross the wire as themselves, not as RemoteError.
ALLOWED_EXMODS = [exception.__name__]


# What of a context never goes on the wire: the user's token would reach
# every agent of a broadcast and every notification listener, and nothing
# on the far side needs it (the coordinator and agents act with the
# service's credentials or the snapshot's trust).
PRIVATE_CONTEXT_KEYS = ('auth_token', 'service_token', 'auth_token_info')


class ContextSerializer(messaging.NoOpSerializer):
    """Payloads are plain JSON; only the context needs converting."""

    def serialize_context(self, context):
        values = context.to_dict()
        for key in PRIVATE_CONTEXT_KEYS:
            values.pop(key, None)
        return values

    def deserialize_context(self, context):
        return cs_context.RequestContext.from_dict(context)


def init(conf):
    global _TRANSPORT, _NOTIFICATION_TRANSPORT, _CONF
    _CONF = conf
    if _TRANSPORT is None:
        _TRANSPORT = messaging.get_rpc_transport(
            conf, allowed_remote_exmods=ALLOWED_EXMODS)
        _NOTIFICATION_TRANSPORT = messaging.get_notification_transport(conf)
    return _TRANSPORT


def cleanup():
    global _TRANSPORT, _NOTIFICATION_TRANSPORT
    for transport in (_TRANSPORT, _NOTIFICATION_TRANSPORT):
        if transport is not None:
            transport.cleanup()
    _TRANSPORT = _NOTIFICATION_TRANSPORT = None


def remote_message(error):
    """An exception from the other side, without its remote traceback."""
    return str(error).split('\nTraceback')[0].strip()


def get_notifier(publisher_id):
    """Notifications go where [oslo_messaging_notifications] says."""
    return messaging.Notifier(_NOTIFICATION_TRANSPORT,
                              publisher_id=publisher_id,
                              serializer=ContextSerializer())


def version_cap(service, current):
    """The highest version to send to ``service`` ('agent',
    'coordinator'): [upgrade_levels] during a rolling upgrade, else ours.
    """
    try:
        return getattr(_CONF.upgrade_levels, service) or current
    except (AttributeError, cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return current  # Not initialised, or options not registered.


def get_client(target, version_cap=None, timeout=None):
    return messaging.get_rpc_client(_TRANSPORT, target,
                                    version_cap=version_cap, timeout=timeout,
                                    serializer=ContextSerializer())


def get_server(target, endpoints):
    # Only methods marked @messaging.expose answer: start(), sweep() and
    # the like are not for the wire.
    return messaging.get_rpc_server(
        _TRANSPORT, target, endpoints, serializer=ContextSerializer(),
        access_policy=dispatcher.ExplicitRPCAccessPolicy)
