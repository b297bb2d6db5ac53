import socket

from oslo_config import cfg

opts = [
    cfg.StrOpt('host', default=socket.gethostname(),
               sample_default='<hostname>',
               help='Name of this node. An agent must use the compute host '
                    'name as Nova reports it in OS-EXT-SRV-ATTR:host: it is '
                    'the RPC server name the coordinator sends to.'),
    cfg.StrOpt('state_path', default='/var/lib/consistent-snap',
               help='Directory for local state, such as the embedded SQLite '
                    'database.'),
]


def register_opts(conf):
    conf.register_opts(opts)


def list_opts():
    return {'DEFAULT': opts}
