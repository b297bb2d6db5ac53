import pytest

from consistent_snap import drivers
from consistent_snap import exception
from consistent_snap import members


def test_resolvers_are_registered():
    assert drivers.names(members.NAMESPACE) == [
        'heat', 'metadata', 'server_group', 'servers']


def test_an_unknown_driver_lists_the_valid_names():
    with pytest.raises(exception.UnknownDriver) as e:
        drivers.load(members.NAMESPACE, 'heta', None, None)
    assert str(e.value) == (
        "Unknown consistent_snap.resolvers driver 'heta'. "
        "Valid: heat, metadata, server_group, servers.")


def test_a_misspelt_enabled_resolver_stops_start_up(conf):
    conf.set_override('enabled', ['heat', 'servrs'], group='resolvers')
    with pytest.raises(exception.UnknownDriver, match="'servrs'"):
        members.check_enabled_resolvers(conf)


def test_a_disabled_resolver_is_refused_with_the_enabled_list(conf):
    conf.set_override('enabled', ['heat'], group='resolvers')
    with pytest.raises(exception.ResolverNotEnabled) as e:
        members.resolver(conf, None, 'servers')
    assert str(e.value) == ("Source type 'servers' is not enabled on this "
                            "cloud. Enabled: heat.")
