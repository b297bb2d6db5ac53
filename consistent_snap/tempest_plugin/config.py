"""tempest.conf options of the consistent-snap tests."""

from oslo_config import cfg

service_available_group = cfg.OptGroup(
    name='service_available', title='Available OpenStack Services')

ServiceAvailableGroup = [
    cfg.BoolOpt('consistent_snap', default=True,
                help='Whether consistent-snap is expected to be available.'),
]

consistent_snap_group = cfg.OptGroup(
    name='consistent_snap', title='consistent-snap options')

ConsistentSnapGroup = [
    cfg.StrOpt('catalog_type', default='consistent-snap',
               help="consistent-snap's service type in the catalog."),
    cfg.StrOpt('endpoint_type', default='public',
               choices=['public', 'admin', 'internal'],
               help='The endpoint type to use for consistent-snap.'),
    cfg.StrOpt('region', default='',
               help='The region of consistent-snap; empty means the '
                    'identity region.'),
    cfg.IntOpt('build_timeout', default=300,
               help='Seconds to wait for a group snapshot, a server or a '
                    'stack to reach a status.'),
    cfg.IntOpt('build_interval', default=1,
               help='Seconds between two status polls.'),
    cfg.StrOpt('snapshot_mode', default='barrier',
               choices=['barrier', 'shared_start', 'priority'],
               help='The fence mode of the consistent group snapshots the '
                    'scenarios take.'),
    cfg.FloatOpt('max_skew_ms', default=2000.0,
                 help='The largest skew, in milliseconds, a consistent '
                      'group snapshot may report and still pass.'),
    cfg.ListOpt('availability_zones', default=[],
                help='Availability zones the scenario servers are spread '
                     'over, one per server (say, one per compute host '
                     'running a consistent-snap agent); empty lets the '
                     'scheduler place them.'),
    cfg.BoolOpt('heat_stacks', default=True,
                help='Whether to test app groups resolved from Heat stacks '
                     '(needs Heat in the catalog).'),
    cfg.StrOpt('orchestration_catalog_type', default='orchestration',
               help="Heat's service type in the catalog."),
]
