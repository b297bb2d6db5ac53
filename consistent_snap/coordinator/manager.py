import time

import oslo_messaging as messaging


class CoordinatorManager:
    """The patent's cloud operation server: plans and drives group snapshots."""

    RPC_API_VERSION = '1.0'
    target = messaging.Target(version=RPC_API_VERSION)

    def __init__(self, host):
        self.host = host

    def ping(self, context):
        return {'host': self.host, 'time': time.time()}
