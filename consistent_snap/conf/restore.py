from oslo_config import cfg

GROUP = cfg.OptGroup('restore', title='Restore options',
                     help='How the coordinator brings a group snapshot '
                          'back as a set.')

opts = [
    cfg.IntOpt('workers', default=16, min=1,
               help='Members worked on at once within a stage (ports, '
                    'volumes, servers, attachments).'),
    cfg.FloatOpt('volume_timeout', default=600.0, min=1.0,
                 help='Seconds for a volume restored from its snapshot to '
                      'become available, and for an attachment.'),
    cfg.FloatOpt('server_timeout', default=600.0, min=1.0,
                 help='Seconds for a restored server to become ACTIVE.'),
    cfg.FloatOpt('delete_timeout', default=300.0, min=1.0,
                 help='Seconds for a restored server or volume to be gone '
                      'when a failed or deleted restore cleans up.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
