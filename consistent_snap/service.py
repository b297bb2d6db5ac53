"""An oslo.service Service owning the RPC servers of one daemon."""

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_service import service

from consistent_snap import rpc

LOG = logging.getLogger(__name__)


class RPCService(service.Service):
    """One endpoint, served on each of ``topics`` with ``server=host``.

    Each topic has its own RPC server, so its own executor: work on one
    topic never waits behind work on another.
    """

    def __init__(self, host, topics, endpoint):
        super().__init__()
        self.host = host
        self.topics = topics
        self.endpoint = endpoint
        self.servers = []

    def start(self):
        super().start()
        # Built here, not in __init__: threads do not survive a fork.
        if hasattr(self.endpoint, 'start'):
            self.endpoint.start()
        for topic in self.topics:
            target = messaging.Target(topic=topic, server=self.host)
            server = rpc.get_server(target, [self.endpoint])
            server.start()
            self.servers.append(server)
            LOG.info('%s listening on topic %s as server %s',
                     type(self.endpoint).__name__, topic, self.host)

    def stop(self, graceful=True):
        for server in self.servers:
            server.stop()
        if graceful:
            for server in self.servers:
                server.wait()
        self.servers = []
        if hasattr(self.endpoint, 'stop'):
            self.endpoint.stop()
        super().stop(graceful=graceful)
