import oslo_messaging as messaging

from consistent_snap import rpc


class AgentAPI:
    """Client side of the agent RPC API: one call reaches one host.

    API version history:

        1.0 - ping
    """

    RPC_API_VERSION = '1.0'

    def __init__(self, timeout=None):
        target = messaging.Target(topic=rpc.AGENT_TOPIC, version='1.0')
        self.client = rpc.get_client(target,
                                     version_cap=self.RPC_API_VERSION,
                                     timeout=timeout)

    def ping(self, context, host):
        """The agent's host name and wall clock, for health and offsets."""
        return self.client.prepare(server=host).call(context, 'ping')
