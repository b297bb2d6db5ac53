from oslo_config import cfg

GROUP = cfg.OptGroup('coordination', title='Coordination between coordinators')

opts = [
    cfg.StrOpt('backend_url', default='file://$state_path/locks',
               help='tooz backend URL for the locks that keep two '
                    'coordinators from driving one snapshot, e.g. '
                    'mysql://user:pass@host/db, redis://host:6379 or '
                    'etcd3+http://host:2379. The file default works only '
                    'when every coordinator runs on this machine.'),
    cfg.IntOpt('reap_interval', default=30, min=1,
               help='Seconds between sweeps for snapshots that no running '
                    'coordinator drives (one died): they are cleaned up and '
                    'failed, or started if still pending.'),
    cfg.IntOpt('pending_grace', default=30, min=0,
               help='Seconds a pending snapshot may wait for its message '
                    'before a sweep starts it itself.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
