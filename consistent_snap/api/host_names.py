"""Compute host names and host file paths are operator data.

Who may not see hosts (the policy rule consistent_snap:member:host, admin
only by default) sees Nova's per-project hostId instead: in member views,
in the artifacts of a member (a libvirt disk's host and files), and in the
text of errors and consistency reasons, which the agents write naming
their host.
"""

import re

#: Artifact keys that say where on a host the artifact is (libvirt disks).
PRIVATE_ARTIFACT_KEYS = frozenset(('host', 'frozen_file', 'overlay',
                                   'quarantined', 'copy'))
#: Member fields whose text may name a host or a file on it.
TEXT_FIELDS = ('error', 'consistency_reason')
SOMEWHERE = 'a compute host'
HIDDEN_PATH = '<file on host>'
# An absolute path on the host: not a URL's path (after "//" or a port).
_PATH = re.compile(r'(?<![\w:/.])/(?:[\w.@%+~-]+/)*[\w.@%+~-]+')


def host_ids(members):
    """{host name: its per-project host id} of the members that have one."""
    return {m['host']: m.get('host_id') or SOMEWHERE
            for m in members if m.get('host')}


def hide(text, hosts):
    """text with every host name in hosts replaced, and no host path."""
    if not text:
        return text
    for host in sorted(hosts, key=len, reverse=True):
        text = re.sub(r'(?<![\w-])%s(?![\w-])' % re.escape(host),
                      hosts[host], text)
    return _PATH.sub(HIDDEN_PATH, text)


def artifact(found):
    return {k: v for k, v in found.items() if k not in PRIVATE_ARTIFACT_KEYS}


def member(view, hosts):
    """A member's API view as one who may not see hosts sees it."""
    view = dict(view)
    view.pop('host', None)
    if view.get('artifacts'):
        view['artifacts'] = [artifact(a) if isinstance(a, dict) else a
                             for a in view['artifacts']]
    for field in TEXT_FIELDS:
        if isinstance(view.get(field), str):
            view[field] = hide(view[field], hosts)
    return view
