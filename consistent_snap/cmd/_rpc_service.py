"""Shared start-up of the RPC daemons (coordinator, agent)."""

import sys

from oslo_log import log as logging
from oslo_service import service as oslo_service

from consistent_snap import conf as cs_conf
from consistent_snap.db import api as db_api
from consistent_snap import exception
from consistent_snap import rpc
from consistent_snap import service


def run(binary, topics, manager_class, uses_db):
    conf = cs_conf.CONF
    logging.register_options(conf)
    conf(sys.argv[1:], project='consistent_snap')
    logging.setup(conf, binary)
    if uses_db:
        db_api.configure(conf)
    rpc.init(conf)
    try:
        manager = manager_class(conf, conf.host)
    except exception.ConsistentSnapException as e:
        sys.exit('%s: %s' % (binary, e))
    server = service.RPCService(conf.host, topics, manager)
    oslo_service.launch(conf, server, workers=1,
                        restart_method='mutate').wait()
