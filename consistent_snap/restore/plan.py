"""A restore's plan: every check that can fail later, made before anything
is created, and the ordered steps the restore would run.

The plan is the whole of a dry run and the first step of every restore.
Problems are collected, not raised one by one, so that a person can fix
them all at once; each says what to do.
"""

import collections
import ipaddress

from openstack import exceptions as sdk_exceptions

from consistent_snap import states

MANIFEST_VERSION = 1
LABEL = 'consistent_snap_restore_id'
NEW, IN_PLACE, VERIFY = 'new', 'in_place', 'verify'
STAGES = {
    NEW: ('server_group', 'ports', 'volumes', 'servers', 'attachments'),
    # A new copy on copies of its networks, attached to no router, so the
    # recorded addresses stay valid and nothing reaches production; then
    # checked, and deleted.
    VERIFY: ('networks', 'server_group', 'ports', 'volumes', 'servers',
             'attachments', 'checks'),
    # The servers keep their ids, ports and addresses: stopped, their
    # volumes detached (Cinder reverts only an available volume), reverted
    # and their root disks rebuilt from the member images, then put back.
    IN_PLACE: ('stop', 'detach', 'revert', 'rebuild', 'attachments',
               'start'),
}
# What only a new copy can use.
NEW_ONLY = ('network_map', 'flavor_map', 'az_map', 'volume_type_map',
            'keep_ips', 'name_suffix', 'as_app_group')
# What a verification decides itself: its networks, addresses and names.
NOT_VERIFY = ('network_map', 'keep_ips', 'name_suffix', 'as_app_group')
# Problems of the group snapshot itself, not of where it would go: a
# verification that finds one has its verdict (failed) before it starts.
OF_THE_SNAPSHOT = ('group_snapshot', 'manifest', 'member', 'image', 'volume',
                   'volume_snapshot')


def _problem(member, check, message):
    return {'server_id': member and member['server_id'],
            'server_name': member and member.get('server_name'),
            'check': check, 'message': message}


def _mapped(mapping, *keys):
    """The value a map gives the first of ``keys`` it knows, else keys[0]."""
    for key in keys:
        if key is not None and key in mapping:
            return mapping[key]
    return keys[0]


def _root_image(member):
    """The image a restored image-backed server boots from, or None."""
    for artifact in member['artifacts'] or ():
        if artifact['type'] == 'image':
            return artifact['id']
    disks = sorted((a for a in member['artifacts'] or ()
                    if a['type'] == 'libvirt_disk' and a.get('image_id')),
                   key=lambda a: a['disk'])
    return disks[0]['image_id'] if disks else None


def _group_snapshots(snap):
    """The Cinder group snapshots of ``snap``, whichever member made them.

    One member makes the group snapshot of volumes that several members
    have attached.
    """
    return [a for m in snap['members'] for a in m['artifacts'] or ()
            if a['type'] == 'volume_group_snapshot']


def _volume_snapshots(snap):
    """{volume id: its snapshot in this group snapshot}."""
    found = {}
    for member in snap['members']:
        for artifact in member['artifacts'] or ():
            if artifact['type'] == 'volume_snapshot':
                found[artifact['volume_id']] = artifact['id']
    for artifact in _group_snapshots(snap):
        found.update(artifact.get('snapshots') or {})
    return found


def _select(snap, refs, problems):
    """The members asked for (by server id or name), or all captured."""
    members = [m for m in snap['members']
               if m['status'] != states.Member.SKIPPED]
    if not refs:
        return members
    chosen = []
    for ref in refs:
        match = [m for m in members
                 if ref in (m['server_id'], m['server_name'])]
        if len(match) == 1:
            chosen.append(match[0])
        else:
            problems.append(_problem(None, 'members', (
                'no member of group snapshot %s is named %s' if not match
                else '%d members are named %s: give the server id') % (
                    (snap['id'], ref) if not match else (len(match), ref))))
    return chosen


class Plan:
    """What restoring ``snap`` with ``options`` needs, read from the cloud.

    conn: the service's connection; every read is filtered to the project.
    """

    def __init__(self, conn, snap, options, project_id, restore_id=None,
                 mode=NEW):
        self.conn = conn
        self.snap = snap
        self.options = options
        self.project_id = project_id
        self.mode = mode
        # Before the restore exists (a dry run), its id is not known yet.
        short = restore_id[:8] if restore_id else '<restore ID>'
        self.suffix = {IN_PLACE: '', VERIFY: '-verify-%s' % short}.get(
            mode, options.get('name_suffix') or '-restored-%s' % short)
        # A verification's copies of the networks keep every address.
        self.keep_ips = mode == VERIFY or bool(options.get('keep_ips'))
        self.problems = []
        self.members = []
        # {the original group's id: {'name', 'policy'} of its new one}.
        self.server_groups = {}
        # {Cinder group snapshot id: {'group_id' (the original), 'name',
        # 'volume_ids', 'group_type', 'volume_types'}}: each comes back as
        # a new group of the same types holding its restored volumes.
        self.volume_groups = {}
        # A verification's: {original network id: {'name', 'source_name',
        # 'subnets': [what a copy of each subnet needs]}}.
        self.networks = {}

    # -- building the plan -------------------------------------------------

    def make(self):
        if self.snap['status'] != states.AVAILABLE:
            self.problems.append(_problem(None, 'group_snapshot', (
                'group snapshot %s is %s: only an available one can be '
                'restored' % (self.snap['id'], self.snap['status']))))
            return self
        for member in _select(self.snap, self.options.get('members'),
                              self.problems):
            planned = self._member(member)
            if planned is not None:
                self.members.append(planned)
        if not self.members:
            return self
        if self.mode == IN_PLACE:
            self._check_in_place()
            return self
        if self.mode == VERIFY:
            self._refuse(NOT_VERIFY, 'a verification restores on copies of '
                         'the networks with the recorded addresses and '
                         'names of its own')
            self._check_checks()
        self._server_groups()
        self._volume_groups()
        self._check_cloud()
        return self

    def _member(self, member):
        manifest = member.get('manifest')
        if not manifest:
            self.problems.append(_problem(member, 'manifest', (
                'this group snapshot was taken before snapshots recorded '
                'how to rebuild a server: take a new one to restore it')))
            return None
        if manifest.get('manifest_version') != MANIFEST_VERSION or (
                manifest.get('incomplete')):
            self.problems.append(_problem(member, 'manifest', (
                'its manifest is incomplete (%s): take a new group '
                'snapshot' % '; '.join(manifest.get('incomplete') or [
                    'version %s' % manifest.get('manifest_version')]))))
            return None
        if member['status'] != states.Member.AVAILABLE:
            self.problems.append(_problem(member, 'member', (
                'the member was not captured (%s)' % member['status'])))
            return None
        maps = self.options
        snapshots = _volume_snapshots(self.snap)
        volumes = []
        for volume in manifest['volumes']:
            snapshot_id = snapshots.get(volume['id'])
            if snapshot_id is None:
                self.problems.append(_problem(member, 'volume', (
                    'volume %s has no snapshot in this group snapshot (was '
                    'it taken without volumes?)' % volume['id'])))
                continue
            volumes.append(dict(volume, snapshot_id=snapshot_id,
                                volume_type=_mapped(
                                    maps.get('volume_type_map') or {},
                                    volume['volume_type'])))
        image_id = None
        if manifest['boot_volume_id'] is None:
            image_id = _root_image(member)
            if image_id is None:
                self.problems.append(_problem(member, 'image', (
                    'no image of its root disk in this group snapshot')))
        flavor = manifest['flavor']
        ports = [dict(port, network_id=_mapped(
            maps.get('network_map') or {}, port['network_id'],
            port.get('network_name'))) for port in manifest['ports']]
        return {
            'server_id': member['server_id'],
            'server_name': member['server_name'],
            'name': manifest['name'] + self.suffix,
            'manifest': manifest,
            'image_id': image_id,
            'flavor': _mapped(maps.get('flavor_map') or {}, flavor['id'],
                              flavor['name']),
            'availability_zone': _mapped(maps.get('az_map') or {},
                                         manifest['availability_zone']),
            'ports': ports,
            'volumes': volumes,
        }

    def _server_groups(self):
        """A new group, of the same policy, for each the members were in."""
        for member in self.members:
            group = member['manifest']['server_group']
            if group:
                self.server_groups[group['id']] = {
                    'name': group['name'] + self.suffix,
                    'policy': group['policy']}

    def _volume_groups(self):
        """Cinder group snapshots whose volumes come back in a new group.

        Only those whose volumes all come back, in their own types (the
        group's): the volumes of any other come back one by one, each from
        its snapshot in the group snapshot, in no group.
        """
        recorded = {v['id']: v['volume_type'] for m in self.members
                    for v in m['manifest']['volumes']}
        mapped = {v['id'] for m in self.members for v in m['volumes']
                  if v['volume_type'] != recorded[v['id']]}
        for artifact in _group_snapshots(self.snap):
            wanted = set(artifact.get('snapshots') or ())
            volumes = [v for m in self.members for v in m['volumes']
                       if v['id'] in wanted]
            if not volumes or len(volumes) != len(wanted) or (
                    wanted & mapped):
                continue
            for volume in volumes:
                volume['volume_group'] = artifact['id']
            self.volume_groups[artifact['id']] = {
                'group_id': artifact['group_id'],
                'name': 'volumes-%s%s' % (artifact['group_id'][:8],
                                          self.suffix),
                'volume_ids': sorted(wanted)}

    def _ungroup(self, group_snapshot_id):
        del self.volume_groups[group_snapshot_id]
        for member in self.members:
            for volume in member['volumes']:
                if volume.get('volume_group') == group_snapshot_id:
                    del volume['volume_group']

    # -- checks against the cloud -----------------------------------------

    def _check(self, member, check, read):
        """read() -> a message when something is wrong, else None."""
        try:
            message = read()
        except sdk_exceptions.SDKException as e:
            message = 'could not be checked: %s' % e
        if message:
            self.problems.append(_problem(member, check, message))

    def _check_cloud(self):
        conn = self.conn
        zones = None
        for member in self.members:
            if member['image_id']:
                self._check(member, 'image', lambda m=member: self._image(
                    m['image_id']))
            for volume in member['volumes']:
                self._check(member, 'volume_snapshot',
                            lambda v=volume: self._volume_snapshot(v))
                if volume['volume_type']:
                    self._check(member, 'volume_type', lambda v=volume: (
                        None if conn.block_storage.find_type(
                            v['volume_type']) else
                        'volume type %s does not exist: map it with '
                        '--volume-type-map' % v['volume_type']))
            self._check(member, 'flavor', lambda m=member: self._flavor(m))
            if member['availability_zone']:
                if zones is None:
                    zones = {z.name for z in
                             conn.compute.availability_zones()}
                if member['availability_zone'] not in zones:
                    self.problems.append(_problem(
                        member, 'availability_zone',
                        'availability zone %s does not exist: map it with '
                        '--az-map' % member['availability_zone']))
            for port in member['ports']:
                self._check(member, 'network', lambda m=member, p=port: (
                    self._network(m, p)))
        for group_snapshot_id in list(self.volume_groups):
            self._check(None, 'volume_group', lambda g=group_snapshot_id: (
                self._volume_group(g)))
        self._check(None, 'quota', self._quota)
        self._check(None, 'name', self._names_taken)

    def _check_checks(self):
        """Each member a check names is one being verified."""
        known = {ref for m in self.members
                 for ref in (m['server_id'], m['server_name'])}
        for check in self.options.get('checks') or ():
            unknown = sorted(set(check.get('members') or ()) - known | (
                {check['to']} - known if check.get('to') else set()))
            if unknown:
                self.problems.append(_problem(None, 'checks', (
                    'check %s names no member being verified: %s' % (
                        check['name'], ', '.join(unknown)))))

    def _checks_of(self, member):
        return [c['name'] for c in self.options.get('checks') or ()
                if not c.get('members') or {
                    member['server_id'], member['server_name']} &
                set(c['members'])]

    def _refuse(self, options, why):
        used = [k for k in options if self.options.get(k)]
        if used:
            self.problems.append(_problem(None, 'mode', '%s: %s' % (
                ', '.join('--' + k.replace('_', '-') for k in used), why)))

    def _check_in_place(self):
        self._refuse(NEW_ONLY, 'only for a restore as a new copy; in place, '
                     'the servers keep what they have')
        for member in self.members:
            self._check(member, 'server',
                        lambda m=member: self._server_in_place(m))
            boot = member['manifest']['boot_volume_id']
            if boot:
                self.problems.append(_problem(member, 'boot_volume', (
                    'its root disk is boot volume %s, which Cinder cannot '
                    'revert while its server uses it: restore it as a new '
                    'copy' % boot)))
            elif member['image_id']:
                self._check(member, 'image', lambda m=member: self._image(
                    m['image_id']))
            for volume in member['volumes']:
                if volume['boot_index'] != 0:
                    self._check(member, 'volume', lambda m=member, v=volume: (
                        self._revertible(m, v)))

    def _server_in_place(self, member):
        try:
            server = self.conn.compute.get_server(member['server_id'])
        except sdk_exceptions.NotFoundException:
            server = None
        if server is None or server.project_id != self.project_id:
            return ('server %s no longer exists: restore it as a new copy' %
                    member['server_id'])
        if server.status not in ('ACTIVE', 'SHUTOFF'):
            return ('server %s is %s: in place, it must be ACTIVE or '
                    'SHUTOFF' % (server.id, server.status))

    def _revertible(self, member, volume):
        """Why Cinder would refuse to revert it to its snapshot, if it would.

        Cinder reverts a volume only to its latest snapshot, at the
        snapshot's size; and only a detached one, which the run sees to.
        """
        storage = self.conn.block_storage
        try:
            current = storage.get_volume(volume['id'])
        except sdk_exceptions.NotFoundException:
            current = None
        if current is None or current.project_id != self.project_id:
            return ('volume %s no longer exists: restore as a new copy' %
                    volume['id'])
        attached = [a['server_id'] for a in current.attachments or ()]
        if attached != [member['server_id']]:
            return ('volume %s is no longer attached to this server alone '
                    '(attached to: %s): reattach it or restore as a new '
                    'copy' % (volume['id'], ', '.join(attached) or 'none'))
        problem = self._volume_snapshot(volume)
        if problem:
            return problem
        snapshots = list(storage.snapshots(details=True, all_projects=True,
                                           volume_id=volume['id']))
        latest = max(snapshots, key=lambda s: s.created_at, default=None)
        if latest is None:
            return ('Cinder lists no snapshot of volume %s: restore as a '
                    'new copy' % volume['id'])
        if latest.id != volume['snapshot_id']:
            return ('volume %s has a later snapshot (%s) than this group '
                    'snapshot\'s: Cinder reverts a volume only to its '
                    'latest; restore as a new copy' % (volume['id'],
                                                       latest.id))
        if current.size != latest.size:
            return ('volume %s is %d GiB, its snapshot %d GiB: Cinder '
                    'reverts only at the snapshot\'s size; restore as a new '
                    'copy' % (volume['id'], current.size, latest.size))

    def _image(self, image_id):
        image = self.conn.image.find_image(image_id, ignore_missing=True)
        if image is None:
            return ('image %s of this group snapshot no longer exists' %
                    image_id)
        if image.status != 'active':
            return 'image %s is %s, not active' % (image_id, image.status)

    def _volume_snapshot(self, volume):
        try:
            snapshot = self.conn.block_storage.get_snapshot(
                volume['snapshot_id'])
        except sdk_exceptions.NotFoundException:
            return ('volume snapshot %s of volume %s no longer exists' % (
                volume['snapshot_id'], volume['id']))
        if snapshot.status != 'available':
            return 'volume snapshot %s is %s, not available' % (
                snapshot.id, snapshot.status)

    def _volume_group(self, group_snapshot_id):
        """Of the original group's types, and named after it."""
        group = self.volume_groups[group_snapshot_id]
        try:
            source = self.conn.block_storage.get_group(group['group_id'])
        except sdk_exceptions.NotFoundException:
            # Its types are unknown: the volumes come back one by one.
            self._ungroup(group_snapshot_id)
            return None
        group.update(name=(source.name or 'volumes-%s' % source.id[:8]) +
                     self.suffix, group_type=source.group_type,
                     volume_types=source.volume_types)

    def _flavor(self, member):
        flavor = self.conn.compute.find_flavor(member['flavor'],
                                               ignore_missing=True)
        if flavor is None:
            return ('flavor %s does not exist: map it with --flavor-map' %
                    member['flavor'])
        member['flavor'] = flavor.id
        member['flavor_size'] = {'vcpus': flavor.vcpus, 'ram': flavor.ram}

    def _network(self, member, port):
        network = self.conn.network.find_network(port['network_id'],
                                                 ignore_missing=True)
        if network is None or not (network.project_id == self.project_id
                                   or network.is_shared):
            return ('network %s does not exist in this project: map it with '
                    '--network-map' % port['network_id'])
        port['network_id'] = network.id
        if not self.keep_ips:
            return None
        # The same addresses, on whichever subnet of that network holds
        # them: a copy of the network has the CIDRs, not the subnet ids.
        subnets = list(self.conn.network.subnets(network_id=network.id))
        cidrs = [ipaddress.ip_network(s.cidr) for s in subnets]
        outside = [f['ip_address'] for f in port['fixed_ips']
                   if not any(ipaddress.ip_address(f['ip_address']) in c
                              for c in cidrs)]
        if outside:
            return ('%s in no subnet of network %s: %s' % (
                ', '.join(outside), network.name,
                'its subnets changed since the snapshot' if
                self.mode == VERIFY else
                '--keep-ips: map to a network with the same CIDRs'))
        if self.mode == VERIFY:
            # A fresh copy: none of its addresses is taken.
            self.networks[network.id] = {
                'name': (network.name or network.id[:8]) + self.suffix,
                'source_name': network.name or network.id,
                'subnets': [_subnet_copy(s) for s in subnets]}
            return None
        taken = []
        for fixed in port['fixed_ips']:
            taken += ['%s (port %s)' % (fixed['ip_address'], p.id)
                      for p in self.conn.network.ports(
                          network_id=network.id,
                          fixed_ips='ip_address=%s' % fixed['ip_address'])]
        taken += ['MAC %s (port %s)' % (port['mac_address'], p.id)
                  for p in self.conn.network.ports(
                      network_id=network.id,
                      mac_address=port['mac_address'])]
        if taken:
            return ('--keep-ips: taken on network %s: %s; restore into a '
                    'copy of the network (--network-map) or without '
                    '--keep-ips' % (network.name, ', '.join(taken)))

    def _names_taken(self):
        """Names the restore would give that the project already uses.

        A server group's name is also how a clean-up after a crash knows
        the group as the restore's: it must be new in the project.
        """
        taken = sorted(
            s.name for s in self.conn.compute.servers(
                all_projects=True, project_id=self.project_id)
            if s.name in {m['name'] for m in self.members})
        names = {g['name'] for g in self.server_groups.values()}
        if names:
            taken += sorted(
                'server group %s' % g.name for g in
                self.conn.compute.server_groups(all_projects=True)
                if g.project_id == self.project_id and g.name in names)
        if taken:
            return ('names already used in the project: %s; choose another '
                    '--name-suffix' % ', '.join(taken))

    def _quota(self):
        need = collections.Counter()
        for member in self.members:
            size = member.get('flavor_size') or {}
            need.update(instances=1, cores=size.get('vcpus', 0),
                        ram=size.get('ram', 0), ports=len(member['ports']),
                        volumes=len(member['volumes']),
                        gigabytes=sum(v['size'] or 0
                                      for v in member['volumes']))
        need['server_groups'] += len(self.server_groups)
        need['groups'] += len(self.volume_groups)
        need['networks'] += len(self.networks)
        need['subnets'] += sum(len(n['subnets'])
                               for n in self.networks.values())
        short = []
        compute = self.conn.compute.get_quota_set(self.project_id,
                                                  usage=True)
        for key in ('instances', 'cores', 'ram', 'server_groups'):
            short += _short(key, need[key], getattr(compute, key),
                            compute.usage.get(key, 0))
        if need['volumes']:
            volume = self.conn.block_storage.get_quota_set(self.project_id,
                                                           usage=True)
            for key in ('volumes', 'gigabytes', 'groups'):
                short += _short(key, need[key], getattr(volume, key),
                                volume.usage.get(key, 0))
        if need['ports'] or need['networks']:
            network = self.conn.network.get_quota(self.project_id,
                                                  details=True)
            for key in ('networks', 'subnets', 'ports'):
                if need[key]:
                    usage = getattr(network, key)
                    short += _short(key, need[key], usage['limit'],
                                    usage['used'])
        if short:
            return ('the project\'s quota is too small: %s; ask an admin '
                    'to raise it or free some' % '; '.join(short))

    def problem_text(self):
        """Every problem, each naming its member, in one line."""
        return '; '.join(
            '%s (server %s): %s' % (p['server_name'], p['server_id'],
                                    p['message']) if p['server_id'] else
            p['message'] for p in self.problems)

    def unrestorable(self):
        """The problems that no project, quota or map could solve."""
        return [p for p in self.problems if p['check'] in OF_THE_SNAPSHOT]

    # -- the plan as recorded and shown -----------------------------------

    def steps(self):
        steps = []
        for network in self.networks.values():
            steps.append({'stage': 'networks', 'server_id': None,
                          'action': 'create network %s, an isolated copy of '
                                    'network %s (%s) on no router' % (
                                        network['name'],
                                        network['source_name'], ', '.join(
                                            s['cidr'] for s in
                                            network['subnets']))})
        for group in self.server_groups.values():
            steps.append({'stage': 'server_group', 'server_id': None,
                          'action': 'create server group %s (%s)' % (
                              group['name'], group['policy'])})
        for stage in STAGES[self.mode]:
            if stage in ('server_group', 'networks'):
                continue
            if stage == 'volumes':
                for group_snapshot_id, group in self.volume_groups.items():
                    steps.append({
                        'stage': stage, 'server_id': None,
                        'action': 'create volume group %s for the volumes '
                                  'of Cinder group snapshot %s (%s)' % (
                                      group['name'], group_snapshot_id,
                                      ', '.join(group['volume_ids']))})
            for member in self.members:
                if stage == 'checks':
                    asked = self._checks_of(member)
                    steps.append({
                        'stage': stage, 'server_id': member['server_id'],
                        'action': 'check that %s is ACTIVE and, where its '
                                  'host reaches a guest agent, that the agent '
                                  'answers and the file systems mounted '
                                  'clean%s' % (member['name'], (
                                      ', then run %s in it' % ', '.join(
                                          asked)) if asked else '')})
                    continue
                for action in _actions(stage, member, self.keep_ips,
                                       self.mode == IN_PLACE, self.networks):
                    steps.append({'stage': stage,
                                  'server_id': member['server_id'],
                                  'action': action})
        return steps

    def view(self):
        return {'ok': not self.problems, 'problems': self.problems,
                'steps': self.steps(),
                'server_groups': sorted(
                    g['name'] for g in self.server_groups.values()),
                'networks': sorted(
                    n['name'] for n in self.networks.values()),
                'members': [m['server_id'] for m in self.members]}


def _subnet_copy(subnet):
    """What a copy of ``subnet`` needs: its addresses as they are."""
    return {'name': subnet.name, 'cidr': subnet.cidr,
            'ip_version': subnet.ip_version,
            'gateway_ip': subnet.gateway_ip,
            'allocation_pools': subnet.allocation_pools,
            'enable_dhcp': subnet.is_dhcp_enabled,
            'dns_nameservers': subnet.dns_nameservers,
            'host_routes': subnet.host_routes}


def _short(key, need, limit, used):
    if limit is None or limit < 0 or used + need <= limit:
        return []
    return ['%s: %d needed, %d of %d in use' % (key, need, used, limit)]


def _actions(stage, member, keep_ips, in_place, copies):
    """copies: a verification's networks, by the original's id."""
    name = member['name']
    reverted = [v for v in member['volumes'] if v['boot_index'] != 0]
    if stage == 'stop':
        yield 'stop %s if it is ACTIVE' % name
    elif stage == 'start':
        yield 'start %s again if this restore stopped it' % name
    elif stage == 'detach':
        for volume in reverted:
            yield 'detach volume %s from %s' % (volume['id'], name)
    elif stage == 'revert':
        for volume in reverted:
            yield 'revert volume %s to snapshot %s' % (
                volume['id'], volume['snapshot_id'])
    elif stage == 'rebuild':
        yield 'rebuild %s from image %s' % (name, member['image_id'])
    elif stage == 'ports':
        for port in member['ports']:
            copy = copies.get(port['network_id'])
            addresses = ' with %s, MAC %s' % (
                ', '.join(f['ip_address'] for f in port['fixed_ips']),
                port['mac_address'])
            yield 'create a port of %s on network %s%s' % (
                name, copy['name'] if copy else port['network_id'],
                addresses if keep_ips else '')
    elif stage == 'volumes':
        for volume in member['volumes']:
            yield 'create a %d GiB volume of %s from snapshot %s%s' % (
                volume['size'] or 0, name, volume['snapshot_id'],
                ' in its new volume group' if volume.get('volume_group')
                else '')
    elif stage == 'servers':
        yield 'boot %s (flavor %s%s) from %s' % (
            name, member['flavor'], ', zone %s' % member[
                'availability_zone'] if member['availability_zone'] else '',
            'image %s' % member['image_id'] if member['image_id'] else
            'its restored boot volume')
    elif stage == 'attachments':
        verb = ('reattach volume %s' if in_place else
                'attach the volume restored from %s')
        for volume in reverted:
            yield (verb + ' to %s%s') % (
                volume['id'], name,
                ' as %s' % volume['device'] if volume['device'] else '')
