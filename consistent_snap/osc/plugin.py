"""OpenStackClient plugin: `openstack appgroup ...`.

The commands use the openstacksdk proxy from consistent_snap.sdk, on the
SDK connection OSC has already authenticated, so the CLI, Horizon and the
tests share one client.
"""

import logging

from osc_lib import utils

from consistent_snap.sdk import service as sdk_service

LOG = logging.getLogger(__name__)

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_consistent_snap_api_version'
# Also the ClientManager attribute: client_manager.consistent_snap.
API_NAME = 'consistent_snap'
API_VERSIONS = ('1',)


def make_client(instance):
    """The consistent-snap proxy on OSC's openstacksdk connection."""
    conn = instance.sdk_connection
    # Connection(extra_services=...) is ignored by openstacksdk 4.x;
    # add_service() is what registers the proxy attribute.
    conn.add_service(sdk_service.description())
    client = getattr(conn, sdk_service.PROXY_ATTR)
    LOG.debug('consistent-snap client initialized: %s', client)
    return client


def build_option_parser(parser):
    """Add --os-consistent-snap-api-version to OSC's global options."""
    parser.add_argument(
        '--os-consistent-snap-api-version',
        metavar='<consistent-snap-api-version>',
        default=utils.env('OS_CONSISTENT_SNAP_API_VERSION'),
        help='consistent-snap API version, default=%s '
             '(Env: OS_CONSISTENT_SNAP_API_VERSION)' % DEFAULT_API_VERSION)
    return parser
