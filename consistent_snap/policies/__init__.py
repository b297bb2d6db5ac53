import itertools

from consistent_snap.policies import app_groups
from consistent_snap.policies import base


def list_rules():
    return list(itertools.chain(base.list_rules(), app_groups.list_rules()))
