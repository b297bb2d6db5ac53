"""What a member's server was, recorded at snapshot time to rebuild it.

A manifest is read with the service's connection in the resolution that
found the members, before the fence starts: never inside its critical
window. Most of it comes from what the Inventory already holds (servers
with their embedded flavor, volumes); the rest is read in a few calls
shared by every member (flavors, server groups, networks) and one port
list per member, all in a small thread pool, so a group costs about as
much as one member.

A part that cannot be read never fails the snapshot: it is left null (or
empty) and named under "incomplete", and restore refuses that member.
"""

from concurrent import futures

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

VERSION = 1
# Enough to overlap the slow calls; small enough to spare the cloud's APIs.
MAX_WORKERS = 8


def _flavor(server, flavor_ids):
    # Nova >= 2.47 embeds the flavor as it was at boot (original_name,
    # sizes, extra_specs), without its id: that is looked up by name.
    flavor = server.flavor
    name = flavor and flavor.original_name
    return {'id': flavor_ids.get(name) if name else None,
            'name': name,
            'vcpus': flavor and flavor.vcpus,
            'ram': flavor and flavor.ram,
            'disk': flavor and flavor.disk,
            'ephemeral': flavor and flavor.ephemeral,
            'swap': flavor and flavor.swap,
            'extra_specs': dict(flavor.extra_specs or {}) if flavor else {}}


def _attachment_device(volume, server_id):
    for attachment in (volume and volume.attachments) or ():
        if attachment.get('server_id') == server_id:
            return attachment.get('device')
    return None


def _boot_volume_id(server, volumes):
    """The volume a volume-backed server boots from, or None.

    Nova's view of a server does not give boot indexes: the root volume is
    the one attached at the server's root device, else the first bootable.
    """
    if (server.image or {}).get('id'):
        return None
    attached = [volumes.get(a['id']) for a in server.attached_volumes or ()]
    for volume in attached:
        if (volume and server.root_device_name and
                _attachment_device(volume, server.id) ==
                server.root_device_name):
            return volume.id
    for volume in attached:
        if volume and volume.is_bootable:
            return volume.id
    return None


def _volumes(server, volumes, boot_volume_id):
    found = []
    for attachment in server.attached_volumes or ():
        volume = volumes.get(attachment['id'])
        found.append({
            'id': attachment['id'],
            'size': volume and volume.size,
            'volume_type': volume and volume.volume_type,
            'device': _attachment_device(volume, server.id),
            'boot_index': 0 if attachment['id'] == boot_volume_id else None,
            'bootable': bool(volume and volume.is_bootable),
            'group_id': volume and volume.group_id})
    return found


def _server_group(server, server_groups):
    for group in server_groups:
        if server.id in (group.member_ids or ()):
            # Before microversion 2.64 a group has policies, not policy.
            policy = group.policy or (group.policies or [None])[0]
            return {'id': group.id, 'name': group.name, 'policy': policy,
                    'members': list(group.member_ids)}
    return None


def _ports(ports, network_names):
    return [{'id': port.id, 'network_id': port.network_id,
             'network_name': network_names.get(port.network_id),
             'mac_address': port.mac_address,
             'fixed_ips': [{'subnet_id': ip.get('subnet_id'),
                            'ip_address': ip.get('ip_address')}
                           for ip in port.fixed_ips or ()],
             'port_security_enabled': port.is_port_security_enabled,
             'security_group_ids': list(port.security_group_ids or ())}
            for port in ports]


def _security_groups(server):
    # Nova lists a group once per port that has it: keep each name once.
    names = [g.get('name') for g in server.security_groups or ()]
    return list(dict.fromkeys(n for n in names if n))


def build(server, facts):
    """The manifest of one server from what was read about it.

    facts: volumes {id: Volume}, flavor_ids {name: id}, server_groups
    [ServerGroup], ports [Port] of this server, network_names {id: name},
    origin (the Heat stack and resource path, or None) and incomplete
    [reasons]: the parts that could not be read.
    """
    boot_volume_id = _boot_volume_id(server, facts['volumes'])
    manifest = {
        'manifest_version': VERSION,
        'name': server.name,
        'server_id': server.id,
        'flavor': _flavor(server, facts['flavor_ids']),
        'image_id': (server.image or {}).get('id') or None,
        'boot_volume_id': boot_volume_id,
        'availability_zone': server.availability_zone,
        'key_name': server.key_name,
        'security_groups': _security_groups(server),
        'metadata': dict(server.metadata or {}),
        'tags': list(server.tags or ()),
        'server_group': _server_group(server, facts['server_groups']),
        'ports': _ports(facts['ports'], facts['network_names']),
        'volumes': _volumes(server, facts['volumes'], boot_volume_id),
        'heat': facts['origin'],
    }
    incomplete = list(facts['incomplete'])
    if not manifest['flavor']['name']:
        incomplete.append('flavor: Nova did not embed it (microversion '
                          'older than 2.47)')
    missing = [v['id'] for v in manifest['volumes'] if v['size'] is None]
    if missing:
        incomplete.append('volumes: could not read %s' % ', '.join(missing))
    if incomplete:
        manifest['incomplete'] = incomplete
    return manifest


def unreadable(server_id, name, reason):
    """A manifest that says nothing was read, and why: every key there."""
    return {'manifest_version': VERSION, 'name': name,
            'server_id': server_id,
            'flavor': {'id': None, 'name': None, 'vcpus': None, 'ram': None,
                       'disk': None, 'ephemeral': None, 'swap': None,
                       'extra_specs': {}},
            'image_id': None, 'boot_volume_id': None,
            'availability_zone': None, 'key_name': None,
            'security_groups': [], 'metadata': {}, 'tags': [],
            'server_group': None, 'ports': [], 'volumes': [], 'heat': None,
            'incomplete': [reason]}


class _Reads:
    """Calls run in a thread pool; a failure is kept as a reason."""

    def __init__(self, pool):
        self.pool = pool
        self.futures = {}

    def start(self, key, function, *args):
        self.futures[key] = self.pool.submit(function, *args)

    def result(self, key, default, incomplete, what):
        try:
            return self.futures[key].result()
        except Exception as e:
            incomplete.append('%s: %s' % (what, e))
            return default


def _flavor_ids(conn):
    # Private flavors too: the service reads as an admin.
    return {f.name: f.id for f in conn.compute.flavors(details=False,
                                                       is_public=None)}


def _server_groups(conn, project_id):
    return [g for g in conn.compute.server_groups(all_projects=True)
            if g.project_id == project_id]


def _server_ports(conn, server_id):
    return list(conn.network.ports(device_id=server_id))


def _network_names(conn, network_ids):
    if not network_ids:
        return {}
    return {n.id: n.name for n in conn.network.networks(id=network_ids)}


def _volume(conn, volume_id):
    return conn.block_storage.get_volume(volume_id)


def read(conn, inventory, servers):
    """{server id: manifest} of the given servers, read in parallel."""
    if not servers:
        return {}
    volumes = dict(inventory.volumes)
    wanted = {a['id'] for s in servers for a in s.attached_volumes or ()}
    workers = min(MAX_WORKERS, len(servers) + 2)
    with futures.ThreadPoolExecutor(workers, 'manifest') as pool:
        reads = _Reads(pool)
        reads.start('flavors', _flavor_ids, conn)
        reads.start('server_groups', _server_groups, conn,
                    inventory.project_id)
        for server in servers:
            reads.start(('ports', server.id), _server_ports, conn, server.id)
        # Attached from another project: not in the project's inventory.
        for volume_id in wanted - set(volumes):
            reads.start(('volume', volume_id), _volume, conn, volume_id)
        shared, unread_ids = [], []
        # A flavor's id is null anyway once it is deleted (restore then
        # goes by name): not knowing it leaves the manifest complete.
        flavor_ids = reads.result('flavors', {}, unread_ids, 'flavors')
        if unread_ids:
            LOG.warning('Flavor ids not recorded: %s', unread_ids[0])
        server_groups = reads.result('server_groups', None, shared,
                                     'server_group')
        for volume_id in wanted - set(volumes):
            volume = reads.result(('volume', volume_id), None, [], 'volume')
            if volume is not None:
                volumes[volume_id] = volume
        ports, port_failures = {}, {}
        for server in servers:
            port_failures[server.id] = []
            ports[server.id] = reads.result(('ports', server.id), [],
                                            port_failures[server.id],
                                            'ports')
        network_ids = sorted({p.network_id for found in ports.values()
                              for p in found})
        reads.start('networks', _network_names, conn, network_ids)
        names_failed = []
        network_names = reads.result('networks', {}, names_failed,
                                     'network names')
    manifests = {}
    for server in servers:
        incomplete = shared + port_failures[server.id]
        if ports[server.id] and names_failed:
            incomplete = incomplete + names_failed
        manifests[server.id] = build(server, {
            'volumes': volumes, 'flavor_ids': flavor_ids,
            'server_groups': server_groups or (),
            'ports': ports[server.id], 'network_names': network_names,
            'origin': inventory.origins.get(server.id),
            'incomplete': incomplete})
        if 'incomplete' in manifests[server.id]:
            LOG.warning('Manifest of server %s is incomplete: %s', server.id,
                        '; '.join(manifests[server.id]['incomplete']))
    return manifests
