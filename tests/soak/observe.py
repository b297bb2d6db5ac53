"""Facts for the invariants, read from the real services and guests."""

import json
import time

import openstack

from consistent_snap.virt import libvirt_host
from tests.functional.test_real_guests import _freeze_status

LABEL = 'consistent_snap_group_snapshot_id'


def artifact_statuses(admin, keys):
    """{(kind, id): status, or None when the artifact is gone}."""
    getters = {'image': admin.image.get_image,
               'volume_snapshot': admin.block_storage.get_snapshot,
               'volume_group_snapshot':
                   admin.block_storage.get_group_snapshot}
    found = {}
    for kind, artifact_id in keys:
        try:
            found[(kind, artifact_id)] = getters[kind](artifact_id).status
        except (openstack.exceptions.NotFoundException, KeyError):
            found[(kind, artifact_id)] = None
    return found


def labelled(admin, snapshot_ids):
    """[(kind, id, snapshot id)] labelled with one of snapshot_ids."""
    ids = set(snapshot_ids)
    found = [('image', i.id, (i.properties or {}).get(LABEL))
             for i in admin.image.images()]
    found += [('volume_snapshot', s.id, (s.metadata or {}).get(LABEL))
              for s in admin.block_storage.snapshots(details=True,
                                                     all_projects=True)]
    # Cinder group snapshots have no metadata: the label is the description.
    found += [('volume_group_snapshot', g.id, g.description)
              for g in admin.block_storage.group_snapshots(
                  details=True, all_projects=True)]
    return [f for f in found if f[2] in ids]


def freeze_states(guests, timeout=30):
    """{guest name: guest-fsfreeze-status}; None if it never answered."""
    states = {}
    for guest in guests:
        deadline = time.monotonic() + timeout
        status = _freeze_status(guest)
        while status is None and time.monotonic() < deadline:
            time.sleep(0.5)  # Busy with a thaw, or still hung: ask again.
            status = _freeze_status(guest)
        states[guest.server.name] = status
    return states


def chain_depths(guests):
    """{guest name: {disk: backing chain depth}}."""
    return {g.server.name: {disk: len(files) for disk, files in
                            libvirt_host.chains(g.dom).items()}
            for g in guests}


def journals(cs_dir, hosts):
    """{host: snapshot ids its agent's dead-man journal still holds}."""
    held = {}
    for host in hosts:
        path = cs_dir / 'state' / ('agent-%s-frozen.json' % host)
        held[host] = sorted(json.loads(path.read_text())) if (
            path.exists()) else []
    return held
