"""The test cloud's networking: real Neutron ports on the fake compute hosts.

Restore recreates ports with their fixed IPs and MACs, so the test cloud's
Neutron gives servers real ports: the demo project's network ``demo-net``
(subnet ``demo-subnet``, 10.20.0.0/24, seeded by tests/cloud/up.sh) and
minicloud's ML2 driver, which binds ports on compute-1..N (no agent, nothing
wired: Neutron only records the addresses).
"""

import ipaddress
import random
import time

import pytest

from tests.functional.conftest import _image_id

WAIT = 120
CIDR = ipaddress.ip_network('10.20.0.0/24')
UNBOUND = ('binding_failed', 'unbound', '', None)


@pytest.fixture(scope='module')
def demo_net(demo):
    net = demo.network.find_network('demo-net', ignore_missing=False,
                                    project_id=demo.current_project_id)
    subnet = demo.network.find_subnet('demo-subnet', ignore_missing=False,
                                      network_id=net.id)
    assert subnet.cidr == str(CIDR)
    assert not net.is_shared
    return net, subnet


def _free_ip(conn, net):
    taken = {ip['ip_address'] for p in conn.network.ports(network_id=net.id)
             for ip in p.fixed_ips}
    free = [str(a) for a in list(CIDR.hosts())[99:239]
            if str(a) not in taken]
    return random.choice(free)


def _boot(demo, name, networks, zone):
    start = time.monotonic()
    server = demo.compute.create_server(
        name=name, image_id=_image_id(demo),
        flavor_id=demo.compute.find_flavor('m1.tiny').id,
        networks=networks, availability_zone=zone)
    server = demo.compute.wait_for_server(server, wait=WAIT)
    return server, time.monotonic() - start


def _delete_server(demo, server):
    demo.compute.delete_server(server, ignore_missing=True)
    demo.compute.wait_for_delete(server, wait=WAIT)


def _assert_bound(port, server, host):
    assert port.binding_host_id == host
    assert port.binding_vif_type not in UNBOUND, port.binding_vif_type
    assert port.device_id == server.id
    assert port.device_owner == 'compute:%s' % host
    assert port.status == 'ACTIVE'


def test_server_on_precreated_port_keeps_ip_and_mac(demo, admin, demo_net,
                                                    run_id):
    net, subnet = demo_net
    ip = _free_ip(demo, net)
    mac = 'fa:16:3e:%02x:%02x:%02x' % tuple(random.randrange(256)
                                            for _ in range(3))
    port = demo.network.create_port(
        name='cs-net-%s-port' % run_id, network_id=net.id,
        fixed_ips=[{'subnet_id': subnet.id, 'ip_address': ip}],
        mac_address=mac)
    server = None
    try:
        assert port.status == 'DOWN'
        assert port.security_group_ids, 'the default group'
        server, took = _boot(demo, 'cs-net-%s-port' % run_id,
                             [{'port': port.id}], 'compute-1')
        print('ACTIVE with a pre-created port in %.1f s' % took)
        assert server.status == 'ACTIVE'
        assert admin.compute.get_server(server.id).compute_host == \
            'compute-1'
        bound = admin.network.get_port(port.id)
        _assert_bound(bound, server, 'compute-1')
        assert [(f['subnet_id'], f['ip_address']) for f in bound.fixed_ips] \
            == [(subnet.id, ip)]
        assert bound.mac_address == mac
        addresses = demo.compute.get_server(server.id).addresses
        assert [(a['addr'], a['OS-EXT-IPS-MAC:mac_addr'])
                for a in addresses['demo-net']] == [(ip, mac)]
        assert [i.port_id for i in demo.compute.server_interfaces(server)] \
            == [port.id]

        _delete_server(demo, server)
        server = None
        # a port the user created outlives the server, unbound
        left = admin.network.get_port(port.id)
        assert left.device_id == ''
        assert left.binding_host_id == ''
        assert left.mac_address == mac
        assert [f['ip_address'] for f in left.fixed_ips] == [ip]
    finally:
        if server is not None:
            _delete_server(demo, server)
        demo.network.delete_port(port, ignore_missing=True)
    assert demo.network.find_port(port.id) is None


def test_server_on_network_gets_address_from_subnet(demo, admin, demo_net,
                                                    run_id):
    net, subnet = demo_net
    server, took = _boot(demo, 'cs-net-%s-auto' % run_id,
                         [{'uuid': net.id}], 'compute-2')
    try:
        print('ACTIVE with a port made by Nova in %.1f s' % took)
        ports = list(admin.network.ports(device_id=server.id))
        assert len(ports) == 1, ports
        port = ports[0]
        _assert_bound(port, server, 'compute-2')
        assert port.network_id == net.id
        [fixed] = port.fixed_ips
        assert fixed['subnet_id'] == subnet.id
        assert ipaddress.ip_address(fixed['ip_address']) in CIDR
        addresses = demo.compute.get_server(server.id).addresses
        assert [a['addr'] for a in addresses['demo-net']] == \
            [fixed['ip_address']]
    finally:
        _delete_server(demo, server)
    # a port that Nova created goes with the server
    assert admin.network.find_port(port.id) is None
