from oslo_config import cfg

GROUP = cfg.OptGroup('libvirt', title='The libvirt quiescer and capturer',
                     help='Used by agents on compute hosts that run Nova\'s '
                          'libvirt driver.')

opts = [
    cfg.StrOpt('connection_uri', default='qemu:///system',
               help='The libvirtd of this compute host, as Nova\'s '
                    '[libvirt] connection_uri.'),
    cfg.IntOpt('agent_timeout', default=3, min=1,
               help='Seconds a qemu-guest-agent call (freeze, thaw, exec) '
                    'may take before the guest is treated as having no '
                    'agent. Counted inside [agent] max_freeze_ms.'),
    cfg.StrOpt('overlay_suffix', default='.cs-overlay',
               help='Suffix of the overlay file each disk writes to while '
                    'its frozen state is copied out; merged back after.'),
    cfg.FloatOpt('commit_timeout', default=300.0, min=1.0,
                 help='Seconds the merge of an overlay back into its disk '
                      'may take.'),
    cfg.IntOpt('quarantine_days', default=7, min=0,
               help='Days an overlay file that left its guest\'s disk '
                    'chain unmerged (e.g. a hard reboot restarted the guest '
                    'from its disk) is kept in $state_path/'
                    'libvirt-quarantine, for its writes to be recovered by '
                    'hand. Deleted after that, at the agent\'s start or its '
                    'next merge, if no domain\'s chain holds it.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
