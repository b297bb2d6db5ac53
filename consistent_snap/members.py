"""An app group resolved live: app -> servers -> compute hosts.

Everything is read with the service's connection, filtered to the project
that owns the app group, so the answer is the same for the API, the
coordinator and the scheduler.
"""

import functools

from oslo_log import log as logging
from oslo_utils import strutils

from consistent_snap import drivers
from consistent_snap import exception

LOG = logging.getLogger(__name__)
NAMESPACE = 'consistent_snap.resolvers'

# Nova's OS-EXT-STS:power_state values.
POWER_STATES = {0: 'NOSTATE', 1: 'RUNNING', 3: 'PAUSED', 4: 'SHUTDOWN',
                6: 'CRASHED', 7: 'SUSPENDED'}


class Inventory:
    """What the cloud holds for one project, read once per resolution."""

    def __init__(self, conn, project_id):
        self.conn = conn
        self.project_id = project_id
        self._images = {}
        # {server id: where its source says it came from}, filled by the
        # resolvers that know (Heat: stack and resource path), for the
        # manifest.
        self.origins = {}

    @functools.cached_property
    def servers(self):
        servers = self.conn.compute.servers(
            details=True, all_projects=True, project_id=self.project_id)
        return {s.id: s for s in servers}

    @functools.cached_property
    def volumes(self):
        volumes = self.conn.block_storage.volumes(
            details=True, all_projects=True, project_id=self.project_id)
        return {v.id: v for v in volumes}

    def image(self, image_id):
        if image_id not in self._images:
            self._images[image_id] = self.conn.image.find_image(
                image_id, ignore_missing=True)
        return self._images[image_id]


def _enabled(conf, source_type):
    if source_type not in conf.resolvers.enabled:
        raise exception.ResolverNotEnabled(
            name=source_type, enabled=', '.join(conf.resolvers.enabled))


_RESOLVERS = {}


def resolver(conf, conn, source_type):
    _enabled(conf, source_type)
    key = (id(conn), source_type)
    if key not in _RESOLVERS:
        _RESOLVERS[key] = drivers.load(NAMESPACE, source_type, conf, conn)
    return _RESOLVERS[key]


def check_enabled_resolvers(conf):
    """Fail at start-up, naming the valid drivers, on a misspelt name."""
    for name in conf.resolvers.enabled:
        if name not in drivers.names(NAMESPACE):
            raise exception.UnknownDriver(
                kind=NAMESPACE, name=name,
                valid=', '.join(drivers.names(NAMESPACE)))


def validate_source(conf, conn, project_id, source_type, source):
    """Check the source exists in the project; return its stored form."""
    inventory = Inventory(conn, project_id)
    return resolver(conf, conn, source_type).validate(project_id, source,
                                                      inventory)


def _image_flag(inventory, server, name):
    """A boolean property of the server's image (e.g. hw_qemu_guest_agent)."""
    image_id = (server.image or {}).get('id')
    if image_id:
        image = inventory.image(image_id)
        value = image and getattr(image, name)
    else:  # Volume-backed: the image's properties live on the boot volume.
        value = None
        for attachment in server.attached_volumes or ():
            volume = inventory.volumes.get(attachment['id'])
            if volume and volume.is_bootable:
                value = (volume.volume_image_metadata or {}).get(name)
                break
    return strutils.bool_from_string(value)


def _volumes(inventory, server):
    volumes = []
    for attachment in server.attached_volumes or ():
        volume = inventory.volumes.get(attachment['id'])
        volumes.append({'id': attachment['id'],
                        'size': volume and volume.size,
                        'volume_type': volume and volume.volume_type,
                        'group_id': volume and volume.group_id})
    return volumes


def _member(inventory, server, show_host):
    member = {
        'server_id': server.id,
        'name': server.name,
        'host_id': server.host_id,
        'status': server.status,
        'power_state': POWER_STATES.get(server.power_state, 'NOSTATE'),
        'availability_zone': server.availability_zone,
        'volumes': _volumes(inventory, server),
        'volume_backed': not (server.image or {}).get('id'),
        'qemu_guest_agent': _image_flag(inventory, server,
                                        'hw_qemu_guest_agent'),
        'quiesce_required': _image_flag(inventory, server,
                                        'os_require_quiesce'),
    }
    if show_host:
        member['host'] = server.compute_host
    return member


def _drift(server_ids, last_snapshot):
    if last_snapshot is None:
        return None
    before = {m['server_id'] for m in last_snapshot['members']}
    now = set(server_ids)
    return {'since_group_snapshot': last_snapshot['id'],
            'joined': sorted(now - before), 'left': sorted(before - now)}


def resolve(conf, conn, app_group, show_host=False, last_snapshot=None,
            inventory=None):
    """The app group's servers now, with hosts, volumes and drift.

    inventory: one to fill and keep (the coordinator reads the members'
    manifests from it), else a new one.
    """
    inventory = inventory or Inventory(conn, app_group['project_id'])
    server_ids = resolver(conf, conn, app_group['source_type']).resolve(
        app_group['project_id'], app_group['source_ref'], inventory)
    present = [i for i in server_ids if i in inventory.servers]
    members = [_member(inventory, inventory.servers[i], show_host)
               for i in present]
    result = {
        'app_group_id': app_group['id'],
        'members': members,
        # Named by the source but gone from Nova (deleted, or a failed
        # Heat resource): a snapshot would miss them, so say so.
        'missing': sorted(set(server_ids) - set(present)),
        'host_count': len({m['host_id'] for m in members}),
        'drift': _drift(present, last_snapshot),
    }
    if not members:
        result['message'] = ('app group %s has no servers' %
                             app_group['name'])
    LOG.debug('App group %s resolved to %d servers on %d hosts',
              app_group['id'], len(members), result['host_count'])
    return result
