"""Write tempest.conf for the test cloud: python write_conf.py WORKSPACE.

Run with the project's venv (openstacksdk). It reads the catalog, the image
and flavor the scenarios boot, and the compute hosts' zones from the cloud
as its admin, so the file matches the cloud as it is now.
"""

import configparser
import os
import pathlib
import sys

import openstack

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'cloud'))
import plugin as cloud_plugin  # noqa: E402

# The hosts the fake driver runs, each in an availability zone of its name
# and each with a consistent-snap agent; the libvirt hosts boot real guests.
ZONES = os.environ.get('CS_TEMPEST_ZONES', 'compute-1,compute-2,compute-3')
IMAGE = os.environ.get('CS_TEMPEST_IMAGE', 'tiny')
FLAVOR = os.environ.get('CS_TEMPEST_FLAVOR', 'm1.tiny')
# tempest's [service_available] option for each catalog type we may have.
SERVICES = {'compute': 'nova', 'image': 'glance', 'block-storage': 'cinder',
            'volumev3': 'cinder', 'network': 'neutron',
            'object-store': 'swift'}


def _check_reachable(admin):
    """Fail now, not in every test, when the API does not answer."""
    url = admin.session.get_endpoint(service_type=cloud_plugin.SERVICE_TYPE,
                                     interface='public')
    try:
        admin.session.get(url, authenticated=False, timeout=10)
    except Exception as e:
        sys.exit('consistent-snap API not reachable at %s (start it with '
                 'tests/cloud/plugin.py up): %s' % (url, e))


def tempest_conf(admin, workspace):
    catalog = {s.type for s in admin.identity.services()}
    available = {option: False for option in SERVICES.values()}
    for service_type, option in SERVICES.items():
        available[option] = available[option] or service_type in catalog
    available['consistent_snap'] = cloud_plugin.SERVICE_TYPE in catalog
    _check_reachable(admin)
    # The cloud's Nova has no networks: servers boot with none.
    zones = [z for z in ZONES.split(',') if z]
    found = {z.name for z in admin.compute.availability_zones()}
    missing = sorted(set(zones) - found)
    if missing:
        sys.exit('No availability zone %s in the cloud (set '
                 'CS_TEMPEST_ZONES)' % ', '.join(missing))
    auth = cloud_plugin.clouds()['minicloud']['auth']
    image = admin.image.find_image(IMAGE, ignore_missing=False)
    flavor = admin.compute.find_flavor(FLAVOR, ignore_missing=False)
    return {
        'DEFAULT': {'debug': True, 'log_dir': str(workspace / 'logs'),
                    'log_file': 'tempest.log'},
        'oslo_concurrency': {'lock_path': str(workspace / 'tempest_lock')},
        'auth': {'use_dynamic_credentials': True,
                 'create_isolated_networks': False,
                 'admin_username': auth['username'],
                 'admin_password': auth['password'],
                 'admin_project_name': auth['project_name'],
                 'admin_domain_name': auth['user_domain_name']},
        'identity': {'uri_v3': auth['auth_url'], 'auth_version': 'v3',
                     'region': admin.config.get_region_name()},
        'compute': {'image_ref': image.id, 'flavor_ref': flavor.id,
                    'build_timeout': 120},
        'validation': {'run_validation': False},
        'service_available': available,
        'consistent_snap': {
            'availability_zones': ','.join(zones),
            'heat_stacks': 'orchestration' in catalog,
            'snapshot_mode': 'barrier'},
    }


def main(argv):
    workspace = pathlib.Path(argv[1]).resolve()
    admin = openstack.connect(**cloud_plugin.clouds()['minicloud'])
    parser = configparser.ConfigParser(interpolation=None)
    for section, options in tempest_conf(admin, workspace).items():
        parser[section] = {k: str(v) for k, v in options.items()}
    with open(workspace / 'etc' / 'tempest.conf', 'w') as conf:
        parser.write(conf)


if __name__ == '__main__':
    main(sys.argv)
