"""This compute host's libvirtd, as Nova's libvirt driver uses it.

Nova names each libvirt domain after the instance and gives it the
instance's UUID, so a member's server id finds its domain.
"""

import collections
import contextlib
import fcntl
import json
import os
import subprocess
import threading
import time
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


def chains(dom, inactive=False):
    """{target dev: [file, ...]} of the domain's file disks, top first.

    The whole backing chain as the XML gives it (<backingStore>); the
    persistent definition usually gives none, so a chain without one is
    read from the files themselves (qemu-img).
    """
    found = {}
    flags = libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0
    for disk in ElementTree.fromstring(dom.XMLDesc(flags)).findall(
            './devices/disk'):
        files = []
        node = disk
        while node is not None:
            source = node.find('source')
            if source is None or not source.get('file'):
                break
            files.append(source.get('file'))
            node = node.find('backingStore')
        if not files or disk.get('device') != 'disk':
            continue
        if node is None:  # No <backingStore> at all: ask the files.
            files = backing_chain(files[0]) or files
        found[disk.find('target').get('dev')] = files
    return found


def backing_chain(path):
    """[path, its backing file, ...] as qemu-img reads them; [] if none."""
    try:
        out = subprocess.run(
            ['qemu-img', 'info', '-U', '--backing-chain', '--output=json',
             path], check=True, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return [image['filename'] for image in json.loads(out.stdout)]


def files_in_use(conn):
    """Every file in the chain of any domain of the host, as real paths.

    Running or not, as it runs and as it is defined: a file any of them
    may open again is in use.
    """
    used = set()
    for dom in conn.listAllDomains(0):
        for files in chains(dom).values():
            used.update(os.path.realpath(f) for f in files)
        for _, top, _ in disks(dom, inactive=True):
            if os.path.realpath(top) not in used:  # Else read just above.
                used.update(os.path.realpath(f)
                            for f in backing_chain(top) or [top])
    return used


def mirror_job(dom, dev):
    """(job, mirror file) of the block job libvirt shows on dev, or None."""
    for disk in ElementTree.fromstring(dom.XMLDesc(0)).findall(
            './devices/disk'):
        target = disk.find('target')
        mirror = disk.find('mirror')
        if target is not None and target.get('dev') == dev and (
                mirror is not None):
            source = mirror.find('source')
            return mirror.get('job'), (
                source.get('file') if source is not None else
                mirror.get('file'))
    return None


_LOCKS = collections.defaultdict(threading.Lock)


@contextlib.contextmanager
def domain_lock(conf, server_id, timeout):
    """Only one capture, merge or delete at a time on a domain's disks.

    A thread lock in this process, and a file lock under state_path for
    any other process of this host (an agent that is being replaced).
    Raises DomainBusy after timeout seconds.
    """
    deadline = time.monotonic() + timeout
    with _LOCK:
        lock = _LOCKS[server_id]
    if not lock.acquire(timeout=timeout):
        raise DomainBusy(server_id, timeout)
    try:
        directory = os.path.join(conf.state_path, 'libvirt-locks')
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, server_id), 'a') as f:
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise DomainBusy(server_id, timeout)
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        lock.release()


class DomainBusy(exception.ConsistentSnapException):

    def __init__(self, server_id, timeout):
        super().__init__(
            'the disks of server %s are busy with another capture or merge '
            'of consistent-snap (waited %.1f s); try again when it is done'
            % (server_id, timeout))
