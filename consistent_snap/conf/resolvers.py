from oslo_config import cfg

GROUP = cfg.OptGroup('resolvers', title='App group resolvers')

opts = [
    cfg.ListOpt('enabled', default=['heat', 'server_group', 'metadata',
                                    'servers'],
                help='Resolver drivers (namespace consistent_snap.resolvers) '
                     'that app groups may use. An app group names one as '
                     'its source type.'),
    cfg.IntOpt('heat_nested_depth', default=5, min=0,
               help='How deep to follow nested Heat stacks (ResourceGroup, '
                    'AutoScalingGroup, provider templates) when resolving '
                    'a stack to its servers; Heat allows 5 by default.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
