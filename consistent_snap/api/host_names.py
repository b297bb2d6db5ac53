"""Compute host names and host file paths are operator data.

Who may not see hosts (the policy rule consistent_snap:member:host, admin
only by default) sees no host name and no file of a host in a member's
view, nor in its artifacts (a libvirt disk's host and files). Error texts
still name the host, as the agents write them: hiding them there is not
done yet (issue K, item 11).
"""

#: Artifact keys that say where on a host the artifact is (libvirt disks).
PRIVATE_ARTIFACT_KEYS = frozenset(('host', 'frozen_file', 'overlay',
                                   'quarantined', 'copy'))


def artifact(found):
    return {k: v for k, v in found.items() if k not in PRIVATE_ARTIFACT_KEYS}


def member(view):
    """A member's API view as one who may not see hosts sees it."""
    view = dict(view)
    view.pop('host', None)
    if view.get('artifacts'):
        view['artifacts'] = [artifact(a) if isinstance(a, dict) else a
                             for a in view['artifacts']]
    return view
