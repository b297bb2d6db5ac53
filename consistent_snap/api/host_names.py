"""Compute host names and host file paths are operator data.

Who may not see hosts (the policy rule consistent_snap:member:host, admin
only by default) sees no host name and no file of a host in a member's
view, nor in its artifacts (a libvirt disk's host and files), nor in the
texts the agents and coordinator wrote (errors, reasons): there a host name
becomes the member's host_id, Nova's per-project host hash, which tells
members on one host apart from the others and nothing more, and a file
path on a host becomes '<host file>'.
"""

import re

#: Artifact keys that say where on a host the artifact is (libvirt disks).
PRIVATE_ARTIFACT_KEYS = frozenset(('host', 'frozen_file', 'overlay',
                                   'quarantined', 'copy'))


# An absolute path, not one inside a URL (after '//' or a host name).
_PATH = re.compile(r'(?<![\w:/.-])/(?:[\w.@+-]+/)+[\w.@+-]*')


def text(words, hosts):
    """words with host names ({name: host_id}) and host paths hidden."""
    if not words:
        return words
    words = _PATH.sub('<host file>', words)
    # Longest first: compute-real-2 is not compute-real followed by -2.
    for name in sorted(hosts, key=len, reverse=True):
        words = re.sub(r'(?<![\w.-])%s(?![\w.-])' % re.escape(name),
                       hosts[name] or '<host>', words)
    return words


def artifact(found):
    return {k: v for k, v in found.items() if k not in PRIVATE_ARTIFACT_KEYS}


def member(view, hosts):
    """A member's API view as one who may not see hosts sees it.

    hosts: {host name: host_id} of the snapshot's members.
    """
    view = dict(view)
    view.pop('host', None)
    for key in ('error', 'consistency_reason'):
        view[key] = text(view.get(key), hosts)
    if view.get('artifacts'):
        view['artifacts'] = [artifact(a) if isinstance(a, dict) else a
                             for a in view['artifacts']]
    return view
