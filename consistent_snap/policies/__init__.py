import itertools

from consistent_snap.policies import app_groups
from consistent_snap.policies import backup_policies
from consistent_snap.policies import base
from consistent_snap.policies import group_snapshots
from consistent_snap.policies import restores


def list_rules():
    return list(itertools.chain(base.list_rules(), app_groups.list_rules(),
                                group_snapshots.list_rules(),
                                backup_policies.list_rules(),
                                restores.list_rules()))
