"""minicloud's L2 "agent" for the libvirt hosts' guests (a test rig).

minicloud_ml2 binds a port on a libvirt host as vif_type tap and records, as
TAP_DIR/<tap name>, the Linux bridge of the port's network; nova makes the tap
and starts the guest on it. This loop puts each such tap into its bridge
(made on first use) and deletes a bridge once no tap is left in it, as
Neutron's old Linux bridge agent did for "local" networks. The libvirt hosts
share this machine's network namespace, so one bridge per network joins the
guests of that network across the hosts, and guests on different networks
have no path between them: no router, no uplink, no address on the bridge.

usage: minicloud_l2.py TAP_DIR
"""

import json
import os
import subprocess
import sys
import time

PREFIX = 'brq'


def _ip(*args):
    return subprocess.run(('ip',) + args, check=True, capture_output=True,
                          text=True).stdout


def _links():
    return {link['ifname']: link for link in json.loads(_ip('-j', 'link'))}


def _wanted_bridge(tap_dir, tap):
    try:
        with open(os.path.join(tap_dir, tap)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def wire(tap_dir):
    links = _links()
    for name, link in list(links.items()):
        bridge = name.startswith('tap') and _wanted_bridge(tap_dir, name)
        if not bridge or link.get('master') == bridge:
            continue
        if bridge not in links:
            _ip('link', 'add', bridge, 'type', 'bridge')
            _ip('link', 'set', bridge, 'up')
            links[bridge] = {'ifname': bridge}
            print('made bridge %s' % bridge, flush=True)
        _ip('link', 'set', name, 'master', bridge)
        link['master'] = bridge
        print('put %s into %s' % (name, bridge), flush=True)
    used = {link.get('master') for link in links.values()}
    for name in links:
        if name.startswith(PREFIX) and name not in used:
            _ip('link', 'del', name)
            print('deleted bridge %s: no tap left in it' % name, flush=True)


def main():
    tap_dir = sys.argv[1]
    os.makedirs(tap_dir, exist_ok=True)
    while True:
        try:
            wire(tap_dir)
        except subprocess.CalledProcessError as e:
            # a tap that went away between listing and wiring: next round
            print('%s: %s' % (' '.join(e.cmd), e.stderr.strip()), flush=True)
        time.sleep(0.3)


if __name__ == '__main__':
    main()
