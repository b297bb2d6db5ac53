"""An oslo.service Service owning one RPC server."""

from oslo_log import log as logging
import oslo_messaging as messaging
from oslo_service import service

from consistent_snap import rpc

LOG = logging.getLogger(__name__)


class RPCService(service.Service):
    def __init__(self, host, topic, endpoint):
        super().__init__()
        self.host = host
        self.topic = topic
        self.endpoint = endpoint
        self.server = None

    def start(self):
        super().start()
        # Built here, not in __init__: threads do not survive a fork.
        target = messaging.Target(topic=self.topic, server=self.host)
        self.server = rpc.get_server(target, [self.endpoint])
        self.server.start()
        LOG.info('%s listening on topic %s as server %s',
                 type(self.endpoint).__name__, self.topic, self.host)

    def stop(self, graceful=True):
        if self.server is not None:
            self.server.stop()
            if graceful:
                self.server.wait()
        super().stop(graceful=graceful)
