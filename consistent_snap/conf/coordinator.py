from oslo_config import cfg

GROUP = cfg.OptGroup('coordinator', title='Coordinator options')

opts = [
    cfg.FloatOpt('prepare_timeout', default=30.0, min=0.1,
                 help='Seconds an agent has to answer prepare. A host that '
                      'does not answer fails the snapshot, naming the '
                      'host; nothing has been frozen by then. Prepare asks '
                      'Nova which servers run on the host: a Nova whose '
                      'token cache expired waits for Keystone (measured '
                      'at 5-16 s on a loaded 2-CPU test cloud).'),
    cfg.IntOpt('clock_probes', default=3, min=1,
               help='Ping round trips per host after prepare; the fastest '
                    'gives the clock offset and the round trip time.'),
    cfg.FloatOpt('lead_rtt_factor', default=4.0, min=1.0,
                 help='shared_start and barrier: the fence instant T is '
                      'now + this many times the slowest prepare round '
                      'trip (for a phase broadcast to many hosts, its '
                      'way to the last host, timed in prepare) + '
                      'lead_margin_ms, so every host has its instruction '
                      'before T.'),
    cfg.FloatOpt('lead_margin_ms', default=50.0, min=0.0,
                 help='Fixed part of the lead before T, in milliseconds.'),
    cfg.FloatOpt('capture_timeout', default=120.0, min=1.0,
                 help='Seconds for every member\'s point in time to be '
                      'fixed after T before the snapshot is aborted.'),
    cfg.FloatOpt('finalize_timeout', default=1800.0, min=1.0,
                 help='Seconds for the images and volume snapshots to '
                      'become available after capture.'),
    cfg.FloatOpt('liveness_interval', default=10.0, min=0.1,
                 help='While hosts finalize, how often the ones not done '
                      'are pinged: an agent that restarted (and forgot '
                      'what it was waiting for), or missed two pings, '
                      'fails the snapshot then, not at finalize_timeout.'),
    cfg.IntOpt('fanout_workers', default=64, min=1,
               help='Threads that send the per-host messages of one phase '
                    'at once.'),
    cfg.IntOpt('broadcast_min_hosts', default=32, min=2,
               help='From this many hosts in one snapshot, its capture, '
                    'freeze and commit go as one fanout message to every '
                    'agent, each host answering with a cast, instead of '
                    'one call per host, whose sending cost grows with the '
                    'hosts and must fit in the lead before T. Every agent '
                    'of the cloud receives the broadcast and all but the '
                    'snapshot\'s hosts drop it.'),
    cfg.FloatOpt('schedule_interval', default=1.0, min=0.1,
                 help='Seconds between two looks for due backup policies. '
                      'A policy fires within this much of its slot; '
                      'each look is one indexed query.'),
    cfg.IntOpt('retention_interval', default=60, min=1,
               help='Seconds between two passes of retention over every '
                    'backup policy (max_age expires snapshots with time). '
                    'A policy is also retained when one of its runs ends '
                    'and when it changes.'),
    cfg.IntOpt('max_concurrent_snapshots', default=10, min=0,
               help='At most this many group snapshots in progress in the '
                    'whole cloud (counted in the database) for a backup '
                    'policy to fire; due policies wait, and fire in the '
                    'order they fell due when there is room. Requests '
                    'through the API are not held back. 0: no limit.'),
    cfg.IntOpt('run_workers', default=16, min=1,
               help='Snapshot, restore and delete runs one coordinator '
                    'drives at once, each in a thread of this pool, off '
                    'the RPC executor (whose threads stay free for the '
                    'agents\' reports). Requests beyond it wait in order; '
                    'their rows stay pending, so another coordinator\'s '
                    'sweep starts them if this one dies.'),
    cfg.IntOpt('max_running_per_project', default=10, min=0,
               help='Group snapshots one project may have in progress; a '
                    'request beyond it is refused (409) before its row is '
                    'written. 0: no limit.'),
    cfg.IntOpt('gc_interval', default=3600, min=0,
               help='Seconds between two passes of the garbage collector, '
                    'which deletes the labelled images and volume '
                    'snapshots whose group snapshot has no row in the '
                    'database or ended in error, aborted or deleted (what '
                    'a killed agent, a cut upload or a failed delete left '
                    'behind). One coordinator at a time runs it; its first '
                    'pass comes one interval after the start. Each pass '
                    'lists every image, volume snapshot and group snapshot '
                    'of the cloud. 0: never (consistent-snap-manage gc '
                    'runs it by hand).'),
    cfg.IntOpt('gc_grace_period', default=3600, min=0,
               help='Seconds a labelled artifact must have existed, and its '
                    'group snapshot must have ended, before the garbage '
                    'collector deletes it, so that nothing a run or a '
                    'delete in progress works on is touched. The artifacts '
                    'of a group snapshot that is available or in progress '
                    'are never deleted, whatever their age. Every '
                    'consistent-snap sharing a cloud must share one '
                    'database: an artifact labelled with a group snapshot '
                    'of another database has no row in this one.'),
    cfg.IntOpt('max_concurrent_per_host', default=0, min=0,
               help='At most this many group snapshots in progress with a '
                    'member on any one compute host for a backup policy to '
                    'fire: a due policy whose app group has a member on a '
                    'host at the limit waits (others may go first). Each '
                    'wait resolves the app group again. 0: no limit.'),
]


def register_opts(conf):
    conf.register_group(GROUP)
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
