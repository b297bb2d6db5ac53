"""A restore plan's rules that need no cloud: what is restorable, from what.

The checks against the cloud (images, flavors, zones, quota) run in
tests/functional/test_restore.py against the real test cloud.
"""

from consistent_snap.restore import plan

MANIFEST = {
    'manifest_version': 1, 'name': 'web-0', 'server_id': 's1',
    'flavor': {'id': 'f1', 'name': 'm1.tiny', 'vcpus': 1, 'ram': 512,
               'disk': 1, 'ephemeral': 0, 'swap': 0, 'extra_specs': {}},
    'image_id': 'i0', 'boot_volume_id': None, 'availability_zone': 'az1',
    'key_name': None, 'security_groups': [], 'metadata': {}, 'tags': [],
    'server_group': {'id': 'g1', 'name': 'web', 'policy': 'anti-affinity',
                     'members': ['s1']},
    'ports': [], 'volumes': [{'id': 'v1', 'size': 1, 'volume_type': 'fast',
                              'device': '/dev/vdb', 'boot_index': None,
                              'bootable': False, 'group_id': None}],
    'heat': None}


def _member(server_id='s1', name='web-0', manifest=MANIFEST, **values):
    return dict({'server_id': server_id, 'server_name': name,
                 'status': 'available', 'manifest': manifest,
                 'artifacts': [
                     {'type': 'image', 'id': 'img-%s' % server_id},
                     {'type': 'volume_snapshot', 'id': 'snap-v1',
                      'volume_id': 'v1'}]}, **values)


def _snap(*members, status='available'):
    return {'id': 'gs1', 'status': status, 'members': list(members)}


def _plan(snap, **options):
    made = plan.Plan(None, snap, options, 'p1', 'r1234567')
    made._check_cloud = lambda: None  # The cloud's part: functional tests.
    return made.make()


def test_a_member_is_rebuilt_from_its_own_image_and_volume_snapshots():
    made = _plan(_snap(_member()), volume_type_map={'fast': 'slow'},
                 flavor_map={'m1.tiny': 'm1.small'}, az_map={'az1': 'az2'})
    assert made.problems == []
    member, = made.members
    assert member['name'] == 'web-0-restored-r1234567'
    assert member['image_id'] == 'img-s1'
    assert member['flavor'] == 'm1.small'
    assert member['availability_zone'] == 'az2'
    assert member['volumes'][0]['snapshot_id'] == 'snap-v1'
    assert member['volumes'][0]['volume_type'] == 'slow'
    assert made.server_groups == {'g1': {'name': 'web-restored-r1234567',
                                         'policy': 'anti-affinity'}}
    assert [s['stage'] for s in made.steps()] == [
        'server_group', 'volumes', 'servers', 'attachments']


def test_a_libvirt_capture_boots_from_its_root_disk_image():
    member = _member(artifacts=[
        {'type': 'libvirt_disk', 'disk': 'vdb', 'image_id': 'img-b'},
        {'type': 'libvirt_disk', 'disk': 'vda', 'image_id': 'img-a'},
        {'type': 'volume_group_snapshot', 'id': 'gs-1', 'group_id': 'cg-1',
         'volume_ids': ['v1'], 'snapshots': {'v1': 'gsnap-v1'}}])
    made = _plan(_snap(member))
    assert made.members[0]['image_id'] == 'img-a'
    assert made.members[0]['volumes'][0]['snapshot_id'] == 'gsnap-v1'


def test_every_problem_is_found_and_named_at_once():
    old = _member('s2', 'db-0', manifest=None)
    partial = _member('s3', 'db-1', manifest=dict(
        MANIFEST, incomplete=['ports: Neutron did not answer']))
    no_volume = _member('s4', 'db-2', manifest=dict(MANIFEST, volumes=[
        dict(MANIFEST['volumes'][0], id='v9')]), artifacts=[
            {'type': 'image', 'id': 'img'}])
    made = _plan(_snap(old, partial, no_volume), members=['db-0', 'db-1',
                                                          'db-2', 'nope'])
    messages = [(p['server_id'], p['check']) for p in made.problems]
    assert messages == [(None, 'members'), ('s2', 'manifest'),
                        ('s3', 'manifest'), ('s4', 'volume')]
    assert 'taken before snapshots recorded' in made.problems[1]['message']
    assert 'Neutron did not answer' in made.problems[2]['message']


def test_only_an_available_snapshot_is_restored():
    made = _plan(_snap(_member(), status='error'))
    assert [p['check'] for p in made.problems] == ['group_snapshot']
    assert made.members == []


def test_members_are_chosen_by_id_or_name_and_an_ambiguous_name_refused():
    made = _plan(_snap(_member('s1', 'web'), _member('s2', 'web'),
                       _member('s3', 'db')), members=['s1', 'db', 'web'])
    assert [m['server_id'] for m in made.members] == ['s1', 's3']
    assert '2 members are named web' in made.problems[0]['message']


def test_each_server_group_comes_back_with_its_own_policy():
    other = dict(MANIFEST, server_group={'id': 'g2', 'name': 'db',
                                         'policy': 'affinity',
                                         'members': ['s2']})
    made = _plan(_snap(_member(), _member('s2', 'db-0', manifest=other)))
    assert made.problems == []
    assert made.server_groups == {
        'g1': {'name': 'web-restored-r1234567', 'policy': 'anti-affinity'},
        'g2': {'name': 'db-restored-r1234567', 'policy': 'affinity'}}
    assert made.view()['server_groups'] == ['db-restored-r1234567',
                                            'web-restored-r1234567']
    assert [s['action'] for s in made.steps()[:2]] == [
        'create server group web-restored-r1234567 (anti-affinity)',
        'create server group db-restored-r1234567 (affinity)']


def test_quota_shortfalls_name_what_is_needed():
    assert plan._short('cores', 4, 10, 8) == [
        'cores: 4 needed, 8 of 10 in use']
    assert plan._short('cores', 4, -1, 8) == []
    assert plan._short('cores', 2, 10, 8) == []


def _in_place(snap, **options):
    made = plan.Plan(None, snap, options, 'p1', 'r1234567',
                     mode=plan.IN_PLACE)
    # The cloud's part (the server, the volume's snapshots): functional
    # tests, tests/functional/test_restore_app.py.
    made._server_in_place = made._revertible = made._image = (
        lambda *args: None)
    return made.make()


def test_in_place_keeps_names_and_runs_its_own_stages_in_order():
    made = _in_place(_snap(_member()))
    assert made.problems == []
    assert made.members[0]['name'] == 'web-0'
    assert made.server_groups == {}
    assert [(s['stage'], s['action']) for s in made.steps()] == [
        ('stop', 'stop web-0 if it is ACTIVE'),
        ('detach', 'detach volume v1 from web-0'),
        ('revert', 'revert volume v1 to snapshot snap-v1'),
        ('rebuild', 'rebuild web-0 from image img-s1'),
        ('attachments', 'reattach volume v1 to web-0 as /dev/vdb'),
        ('start', 'start web-0 again if this restore stopped it')]


def test_in_place_refuses_what_only_a_new_copy_can_use():
    made = _in_place(_snap(_member()), network_map={'a': 'b'},
                     keep_ips=True)
    [problem] = made.problems
    assert problem['check'] == 'mode'
    assert '--network-map, --keep-ips: only for a restore as a new copy' \
        in problem['message']


def test_in_place_refuses_a_boot_volume_naming_it():
    boot = dict(MANIFEST, boot_volume_id='v1', volumes=[dict(
        MANIFEST['volumes'][0], boot_index=0)])
    made = _in_place(_snap(_member(manifest=boot)))
    [problem] = made.problems
    assert (problem['server_id'], problem['check']) == ('s1', 'boot_volume')
    assert 'boot volume v1' in problem['message']
    assert 'restore it as a new copy' in problem['message']


def _grouped_pair():
    """web-0 and db-0 each attach one volume of Cinder group cg-1.

    The group snapshot is web-0's artifact: its first holder makes it.
    """
    def manifest(name, server_id, volume_id):
        return dict(MANIFEST, name=name, server_id=server_id, volumes=[
            dict(MANIFEST['volumes'][0], id=volume_id, group_id='cg-1')])
    owner = _member('s1', 'web-0', manifest=manifest('web-0', 's1', 'v1'),
                    artifacts=[
                        {'type': 'image', 'id': 'img-s1'},
                        {'type': 'volume_group_snapshot', 'id': 'gs-1',
                         'group_id': 'cg-1', 'volume_ids': ['v1', 'v2'],
                         'snapshots': {'v1': 'gsnap-v1',
                                       'v2': 'gsnap-v2'}}])
    other = _member('s2', 'db-0', manifest=manifest('db-0', 's2', 'v2'),
                    artifacts=[{'type': 'image', 'id': 'img-s2'}])
    return owner, other


def test_a_cinder_group_comes_back_as_one_new_group():
    made = _plan(_snap(*_grouped_pair()))
    assert made.problems == []
    assert made.volume_groups == {'gs-1': {
        'group_id': 'cg-1', 'name': 'volumes-cg-1-restored-r1234567',
        'volume_ids': ['v1', 'v2']}}
    assert [(v['snapshot_id'], v['volume_group']) for m in made.members
            for v in m['volumes']] == [('gsnap-v1', 'gs-1'),
                                       ('gsnap-v2', 'gs-1')]
    volumes = [s['action'] for s in made.steps() if s['stage'] == 'volumes']
    assert volumes == [
        'create volume group volumes-cg-1-restored-r1234567 for the volumes '
        'of Cinder group snapshot gs-1 (v1, v2)',
        'create a 1 GiB volume of web-0-restored-r1234567 from snapshot '
        'gsnap-v1 in its new volume group',
        'create a 1 GiB volume of db-0-restored-r1234567 from snapshot '
        'gsnap-v2 in its new volume group']


def test_part_of_a_cinder_group_or_a_mapped_type_comes_back_volume_by_volume():
    # Cinder would make every volume of the group snapshot, in its types.
    for made in (_plan(_snap(*_grouped_pair()), members=['db-0']),
                 _plan(_snap(*_grouped_pair()),
                       volume_type_map={'fast': 'slow'})):
        assert made.problems == []
        assert made.volume_groups == {}
        assert all('volume_group' not in v for m in made.members
                   for v in m['volumes'])
    # The snapshot comes from the other member's group snapshot.
    assert made.members[1]['volumes'][0]['snapshot_id'] == 'gsnap-v2'


def _verify(snap, **options):
    made = plan.Plan(None, snap, options, 'p1', 'r1234567', mode=plan.VERIFY)
    made._check_cloud = lambda: None
    return made.make()


def test_a_verification_keeps_the_addresses_and_names_its_copy():
    made = _verify(_snap(_member()))
    assert made.problems == []
    assert made.keep_ips
    assert made.members[0]['name'] == 'web-0-verify-r1234567'
    assert made.server_groups['g1']['name'] == 'web-verify-r1234567'
    assert [s['stage'] for s in made.steps()] == [
        'server_group', 'volumes', 'servers', 'attachments', 'checks']


def test_a_verification_decides_its_networks_addresses_and_names_itself():
    made = _verify(_snap(_member()), network_map={'a': 'b'}, keep_ips=True,
                   name_suffix='-x', as_app_group='copy')
    [problem] = made.problems
    assert problem['check'] == 'mode'
    assert problem['message'].startswith(
        '--network-map, --keep-ips, --name-suffix, --as-app-group: a '
        'verification restores on copies of the networks')
    assert made.unrestorable() == []


def test_only_the_snapshots_own_problems_make_a_verdict():
    gone = _member(artifacts=[])  # Its image and volume snapshot: gone.
    made = _verify(_snap(gone), members=['web-0', 'nope'])
    checks = sorted(p['check'] for p in made.problems)
    assert checks == ['image', 'members', 'volume']
    assert sorted(p['check'] for p in made.unrestorable()) == [
        'image', 'volume']
