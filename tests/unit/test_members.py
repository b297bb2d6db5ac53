"""Resolution logic on payloads shaped as Nova returns them."""

from openstack.compute.v2 import server as sdk_server

from consistent_snap import members
from consistent_snap.resolvers import metadata


def _server(server_id, tags=(), metadata_=None, host='compute-1'):
    # The fields of GET /servers/detail (microversion 2.96) we read.
    return sdk_server.Server.existing(**{
        'id': server_id, 'name': 'vm-' + server_id, 'status': 'ACTIVE',
        'OS-EXT-STS:power_state': 1, 'OS-EXT-SRV-ATTR:host': host,
        'hostId': 'hash-' + host, 'tags': list(tags),
        'metadata': metadata_ or {}, 'image': '',
        'os-extended-volumes:volumes_attached': [],
        'OS-EXT-AZ:availability_zone': host})


class _Inventory:
    def __init__(self, *servers):
        self.servers = {s.id: s for s in servers}
        self.volumes = {}


def test_metadata_matches_every_tag_and_property():
    inventory = _Inventory(
        _server('a', tags=['app', 'db'], metadata_={'tier': 'db'}),
        _server('b', tags=['app'], metadata_={'tier': 'web'}),
        _server('c', tags=[], metadata_={'tier': 'db'}))
    resolver = metadata.MetadataResolver(None, None)
    assert resolver.resolve('p', {'tags': ['app']}, inventory) == ['a', 'b']
    assert resolver.resolve('p', {'properties': {'tier': 'db'}},
                            inventory) == ['a', 'c']
    assert resolver.resolve('p', {'tags': ['app'],
                                  'properties': {'tier': 'db'}},
                            inventory) == ['a']


def test_member_shows_host_only_when_allowed():
    inventory = _Inventory()
    server = _server('a', host='compute-2')
    hidden = members._member(inventory, server, show_host=False)
    shown = members._member(inventory, server, show_host=True)
    assert 'host' not in hidden and hidden['host_id'] == 'hash-compute-2'
    assert shown['host'] == 'compute-2'
    assert shown['power_state'] == 'RUNNING'


def test_drift_against_the_last_snapshot():
    last = {'id': 'gs1', 'members': [{'server_id': 'a'},
                                     {'server_id': 'b'}]}
    assert members._drift(['b', 'c'], last) == {
        'since_group_snapshot': 'gs1', 'joined': ['c'], 'left': ['a']}
    assert members._drift(['a'], None) is None
