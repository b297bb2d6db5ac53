from oslo_config import cfg

GROUP = cfg.OptGroup(
    'upgrade_levels', title='RPC versions sent during a rolling upgrade',
    help='Upgrade the agents or the coordinators first, one host after the '
         'other: meanwhile, cap what is sent to those still on the previous '
         'release, then unset the cap once every one runs this release.')

opts = [
    cfg.StrOpt('agent',
               help='The highest agent RPC API version the coordinators '
                    'send (e.g. 1.3 while some agents run the previous '
                    'release). Unset: this release\'s.'),
    cfg.StrOpt('coordinator',
               help='The highest coordinator RPC API version the API, the '
                    'agents and the other coordinators send. Unset: this '
                    'release\'s.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
