from oslo_config import cfg

GROUP = cfg.OptGroup('api', title='REST API options')

opts = [
    cfg.StrOpt('auth_strategy', default='keystone',
               choices=[('keystone', 'Validate tokens with keystonemiddleware '
                                     '(see [keystone_authtoken])'),
                        ('noauth', 'Trust the X-User-Id, X-Project-Id and '
                                   'X-Roles headers; for local use only')],
               help='How API requests are authenticated.'),
    cfg.HostAddressOpt('bind_host', default='127.0.0.1',
                       help='Address consistent-snap-api listens on.'),
    cfg.PortOpt('bind_port', default=8790,
                help='Port consistent-snap-api listens on.'),
    cfg.IntOpt('workers', default=1, min=1,
               help='Worker processes of consistent-snap-api.'),
    cfg.IntOpt('threads', default=8, min=1,
               help='Threads per worker process of consistent-snap-api.'),
    cfg.IntOpt('max_limit', default=1000, min=1,
               help='Most items a list call returns.'),
    cfg.IntOpt('max_request_body_size', default=114688, min=1024,
               help='Largest request body accepted, in bytes; a larger one '
                    'is answered 413 before it is read. The largest valid '
                    'request (1,000 server IDs) is about 40 KiB.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
