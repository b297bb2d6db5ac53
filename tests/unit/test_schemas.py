import pytest

from consistent_snap.api.schemas import app_groups as schema
from consistent_snap.api.schemas import checks
from consistent_snap.api import util
from consistent_snap import exception
from consistent_snap.resolvers import heat
from consistent_snap.resolvers import metadata
from consistent_snap.resolvers import server_group
from consistent_snap.resolvers import servers

TYPES = ['heat', 'metadata', 'server_group', 'servers']
GOOD = {'app_group': {'name': 'db', 'source_type': 'heat',
                      'source': {'stack': 'db-stack'}}}


def _error(data, body_schema):
    with pytest.raises(exception.InvalidBody) as e:
        util.validate(data, body_schema)
    return str(e.value)


def test_a_good_body_passes():
    util.validate(GOOD, schema.create(TYPES))


@pytest.mark.parametrize('change, expected', [
    ({'colour': 'red'}, "'colour' was unexpected"),
    ({'name': 42}, "app_group/name: 42 is not of type 'string'"),
    ({'name': ''}, 'app_group/name'),
    ({'name': ' padded '}, 'app_group/name'),
    ({'default_mode': 'fast'}, "app_group/default_mode: 'fast' is not one"),
    ({'source_type': 'ldap'}, "app_group/source_type: 'ldap' is not one"),
    ({'quiesce': 'yes'}, "app_group/quiesce: 'yes' is not of type"),
    ({'source': ['s']}, "app_group/source: ['s'] is not of type 'object'"),
])
def test_a_bad_field_is_named(change, expected):
    body = {'app_group': dict(GOOD['app_group'], **change)}
    assert expected in _error(body, schema.create(TYPES))


def test_missing_required_fields_are_named():
    assert "'name' is a required property" in _error(
        {'app_group': {'source_type': 'heat', 'source': {}}},
        schema.create(TYPES))


def test_update_needs_a_field_and_a_source_with_a_new_type():
    update = schema.update(TYPES)
    assert 'app_group' in _error({'app_group': {}}, update)
    assert "'source' is a dependency of 'source_type'" in _error(
        {'app_group': {'source_type': 'heat'}}, update)
    util.validate({'app_group': {'name': 'x'}}, update)


@pytest.mark.parametrize('resolver, good, bad, expected', [
    (heat.HeatResolver, {'stack': 's'}, {'stack': ''}, 'stack'),
    (server_group.ServerGroupResolver, {'server_group': 'g'},
     {'server_group': 'g', 'x': 1}, "'x' was unexpected"),
    (metadata.MetadataResolver, {'tags': ['a']}, {}, 'is not valid under'),
    (metadata.MetadataResolver, {'properties': {'k': 'v'}},
     {'properties': {'k': 1}}, "properties/k: 1 is not of type 'string'"),
    (servers.ServersResolver,
     {'servers': ['0030a364-3c9f-43ac-ac5f-fca7755ad9aa']},
     {'servers': ['web-1']}, "servers/0: 'web-1' is not a 'uuid'"),
])
def test_resolver_schemas(resolver, good, bad, expected):
    util.validate(good, resolver.schema)
    assert expected in _error(bad, resolver.schema)


@pytest.mark.parametrize('checks_, expected', [
    ([{'name': 'c'}], 'check c needs either a command or a port'),
    ([{'name': 'c', 'command': 'true', 'port': 5432}],
     'check c needs either a command or a port'),
    ([{'name': 'c', 'command': 'true', 'to': 'db-0'}],
     'check c: to goes with port only'),
    ([{'name': 'c', 'port': 80, 'expect_exit': 1}],
     'check c: expect_exit goes with command only'),
    ([{'name': 'c', 'port': 80}, {'name': 'c', 'command': 'true'}],
     'each check needs a name of its own, not one of server_active, '
     'guest_agent, filesystems_clean: c'),
    ([{'name': 'guest_agent', 'command': 'true'}],
     'each check needs a name of its own, not one of server_active, '
     'guest_agent, filesystems_clean: guest_agent'),
])
def test_a_check_is_a_command_or_a_port_with_a_name_of_its_own(
        checks_, expected):
    body = {'app_group': dict(GOOD['app_group'], checks=checks_)}
    util.validate(body, schema.create(TYPES))  # The shapes are fine...
    with pytest.raises(exception.InvalidBody) as e:  # ...the rules not.
        checks.validate(checks_, 'app_group/checks')
    assert str(e.value).endswith('app_group/checks: ' + expected)


def test_a_port_and_a_command_check_pass():
    checks.validate([{'name': 'db-port', 'port': 5432, 'to': 'db-0'},
                     {'name': 'rows', 'command': 'psql -c "select 1"',
                      'expect_exit': 0, 'members': ['db-0']}], 'verify')
    assert 'port: 0 is less than the minimum of 1' in _error(
        {'app_group': dict(GOOD['app_group'], checks=[
            {'name': 'p', 'port': 0}])}, schema.create(TYPES))
