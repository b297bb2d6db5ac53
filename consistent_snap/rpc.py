"""oslo.messaging plumbing: transport, clients, servers, the context on the wire."""

import oslo_messaging as messaging

from consistent_snap import context as cs_context

AGENT_TOPIC = 'consistent-snap-agent'
COORDINATOR_TOPIC = 'consistent-snap-coordinator'

_TRANSPORT = None


class ContextSerializer(messaging.NoOpSerializer):
    """Payloads are plain JSON; only the context needs converting."""

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return cs_context.RequestContext.from_dict(context)


def init(conf):
    global _TRANSPORT
    if _TRANSPORT is None:
        _TRANSPORT = messaging.get_rpc_transport(conf)
    return _TRANSPORT


def cleanup():
    global _TRANSPORT
    if _TRANSPORT is not None:
        _TRANSPORT.cleanup()
        _TRANSPORT = None


def get_client(target, version_cap=None, timeout=None):
    return messaging.get_rpc_client(_TRANSPORT, target,
                                    version_cap=version_cap, timeout=timeout,
                                    serializer=ContextSerializer())


def get_server(target, endpoints):
    return messaging.get_rpc_server(_TRANSPORT, target, endpoints,
                                    serializer=ContextSerializer())
