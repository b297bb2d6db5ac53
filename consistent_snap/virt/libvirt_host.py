"""This compute host's libvirtd, as Nova's libvirt driver uses it.

Nova names each libvirt domain after the instance and gives it the
instance's UUID, so a member's server id finds its domain.
"""

import threading
import xml.etree.ElementTree as ElementTree

try:
    import libvirt
except ImportError:  # Only hosts with Nova's libvirt driver need it.
    libvirt = None

from consistent_snap import exception

_LOCK = threading.Lock()
_CONNECTIONS = {}


def _ignore(_context, _error):
    """libvirt prints every error on stderr; ours are raised and logged."""


def _connection(uri):
    with _LOCK:
        libvirt.registerErrorHandler(_ignore, None)
        conn = _CONNECTIONS.get(uri)
        if conn is None or not conn.isAlive():
            conn = _CONNECTIONS[uri] = libvirt.open(uri)
        return conn


def connection(conf):
    return _connection(conf.libvirt.connection_uri)


def domain(conf, server_id):
    """The server's domain on this host, or None."""
    if libvirt is None:
        raise exception.ConsistentSnapException(
            'libvirt-python is not installed on this host: install it '
            '(pip install libvirt-python) or use another quiescer/capturer')
    try:
        return connection(conf).lookupByUUIDString(server_id)
    except libvirt.libvirtError as e:
        if e.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise


def disks(dom, inactive=False):
    """[(target dev, source file, driver type)] of the domain's file disks.

    Only device='disk': a config drive (cdrom) holds nothing to capture.
    inactive: as the domain's persistent definition has them.
    """
    found = []
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
    for disk in ElementTree.fromstring(dom.XMLDesc(flags)).findall(
            './devices/disk'):
        source = disk.find('source')
        if (disk.get('device') != 'disk' or disk.get('type') != 'file' or
                source is None or not source.get('file')):
            continue
        driver = disk.find('driver')
        found.append((disk.find('target').get('dev'), source.get('file'),
                      driver.get('type') if driver is not None else 'raw'))
    return found


def error_code(error):
    return error.get_error_code() if libvirt and isinstance(
        error, libvirt.libvirtError) else None
