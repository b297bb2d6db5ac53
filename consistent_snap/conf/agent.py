from oslo_config import cfg

GROUP = cfg.OptGroup('agent', title='Per-host agent options')

opts = [
    cfg.StrOpt('quiescer', default='none',
               help='Quiescer driver (namespace consistent_snap.quiescers) '
                    'that freezes and thaws guests.'),
    cfg.ListOpt('capturers', default=['nova', 'cinder'],
                help='Capturer drivers (namespace consistent_snap.capturers) '
                     'run for every member, in order: nova captures the '
                     'root disk, cinder the attached volumes; fake only '
                     'records instants (tests, benchmarks).'),
    cfg.IntOpt('max_freeze_ms', default=5000, min=100, max=10000,
               help='Hard cap on how long a guest may stay frozen. A local '
                    'timer thaws it after this, whatever the coordinator or '
                    'the broker do; a request may ask for less, never '
                    'more. Windows VSS gives up at 10 s.'),
    cfg.BoolOpt('check_host', default=True,
                help='Ask Nova, before any freeze, that every member still '
                     'runs on this host (a migrated VM is refused by name).'),
    cfg.FloatOpt('fix_timeout', default=120.0, min=1.0,
                 help='Seconds a capture may take to fix its point in time '
                      '(e.g. an image to leave queued). Guests are thawed at '
                      'max_freeze_ms all the same; a point fixed later is '
                      'reported crash-consistent.'),
    cfg.FloatOpt('poll_interval', default=0.05, min=0.01,
                 help='Seconds before the second poll of an image or volume '
                      'snapshot while waiting for its point in time to be '
                      'fixed; each next wait doubles, up to '
                      'poll_max_interval.'),
    cfg.FloatOpt('poll_max_interval', default=0.25, min=0.01,
                 help='The longest wait between two such polls: how late, '
                      'at most, a point is seen fixed (and a frozen guest '
                      'thawed after it).'),
    cfg.IntOpt('tombstone_hours', default=24, min=1,
               help='Hours an agent remembers, in $state_path/agent-<host>-'
                    'aborted.json, that a group snapshot was aborted on it: '
                    'a phase of it that arrives later (delayed by the '
                    'broker) is refused, and freezes and makes nothing. '
                    'Longer than any message may be delayed.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
