import time

import oslo_messaging as messaging


class AgentManager:
    """The per-host agent: acts on the VMs of its own compute host."""

    RPC_API_VERSION = '1.0'
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, host):
        self.host = host

    def ping(self, context):
        return {'host': self.host, 'time': time.time()}
