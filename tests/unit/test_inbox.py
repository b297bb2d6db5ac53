"""The coordinator's inbox for the hosts' answers to a broadcast."""

import threading

import oslo_messaging as messaging

from consistent_snap.coordinator import inbox


def _report(host):
    return {'host': host, 'members': [{'server_id': host + '-vm'}]}


def test_wait_returns_once_every_host_answered():
    box = inbox.FenceInbox()
    box.expect('gs', 'capture', ['a', 'b'])
    answering = threading.Timer(0.05, box.fence_report,
                                (None, 'gs', 'capture', 'b', _report('b')))
    box.fence_report(None, 'gs', 'capture', 'a', _report('a'))
    answering.start()
    assert box.wait('gs', 'capture', timeout=30) == {
        'a': _report('a'), 'b': _report('b')}


def test_a_silent_host_is_a_timeout_and_an_error_is_an_exception():
    box = inbox.FenceInbox()
    box.expect('gs', 'freeze', ['a', 'b', 'c'])
    box.fence_report(None, 'gs', 'freeze', 'a', _report('a'))
    box.fence_report(None, 'gs', 'freeze', 'b', {
        'host': 'b', 'error': 'freeze failed on host b: no such snapshot'})
    results = box.wait('gs', 'freeze', timeout=0.05)
    assert results['a'] == _report('a')
    assert isinstance(results['b'], inbox.BroadcastFailed)
    assert str(results['b']) == 'freeze failed on host b: no such snapshot'
    assert isinstance(results['c'], messaging.MessagingTimeout)


def test_only_the_first_answer_of_an_expected_host_counts():
    box = inbox.FenceInbox()
    box.expect('gs', 'commit', ['a'])
    first = _report('a')
    box.fence_report(None, 'gs', 'commit', 'a', first)
    box.fence_report(None, 'gs', 'commit', 'a', dict(first, again=True))
    # Not one of the snapshot's hosts, or another phase: dropped.
    box.fence_report(None, 'gs', 'commit', 'z', _report('z'))
    box.fence_report(None, 'gs', 'capture', 'a', _report('a'))
    assert box.wait('gs', 'commit', timeout=1) == {'a': first}
    # Nothing is kept once waited for: a late answer goes nowhere.
    box.fence_report(None, 'gs', 'commit', 'a', first)
    assert box._expected == {}
