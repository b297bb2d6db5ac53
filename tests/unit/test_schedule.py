"""Cron, time zone and max age: parsing, validation and the next slot."""

import datetime

import pytest

from consistent_snap import schedule


def _utc(*args):
    return datetime.datetime(*args)


@pytest.mark.parametrize('cron, after, expected', [
    ('0 */6 * * *', _utc(2026, 1, 1, 5, 59), _utc(2026, 1, 1, 6, 0)),
    # Strictly after: a run at its slot does not fire it again.
    ('0 */6 * * *', _utc(2026, 1, 1, 6, 0), _utc(2026, 1, 1, 12, 0)),
    ('30 2 * * 1', _utc(2026, 1, 1), _utc(2026, 1, 5, 2, 30)),
    # Six fields: seconds first.
    ('*/5 * * * * *', _utc(2026, 1, 1, 0, 0, 1), _utc(2026, 1, 1, 0, 0, 5)),
    ('0 0 12 * * *', _utc(2026, 1, 1), _utc(2026, 1, 1, 12, 0)),
])
def test_next_run_in_utc(cron, after, expected):
    assert schedule.next_run(cron, 'UTC', after) == expected


def test_next_run_drops_microseconds():
    after = _utc(2026, 1, 1, 0, 0, 0, 999999)
    assert schedule.next_run('* * * * * *', 'UTC', after) == _utc(
        2026, 1, 1, 0, 0, 1)


def test_next_run_takes_an_aware_instant():
    after = datetime.datetime(2026, 1, 1, 1, 0,
                              tzinfo=schedule.timezone('Europe/Paris'))
    assert schedule.next_run('0 * * * *', 'UTC', after) == _utc(
        2026, 1, 1, 1, 0)


@pytest.mark.parametrize('zone, after, expected', [
    # Paris is UTC+1 in winter and UTC+2 in summer.
    ('Europe/Paris', _utc(2026, 1, 10), _utc(2026, 1, 10, 1, 0)),
    ('Europe/Paris', _utc(2026, 7, 9, 12), _utc(2026, 7, 10, 0, 0)),
    ('America/New_York', _utc(2026, 1, 10), _utc(2026, 1, 10, 7, 0)),
    ('Asia/Kolkata', _utc(2026, 1, 10), _utc(2026, 1, 10, 20, 30)),
])
def test_a_slot_is_a_wall_time_in_the_policy_zone(zone, after, expected):
    # 02:00 local every day.
    assert schedule.next_run('0 2 * * *', zone, after) == expected


def test_a_wall_time_clocks_skip_fires_when_the_gap_ends():
    # Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST (01:00 UTC).
    after = _utc(2026, 3, 28, 12, 0)
    assert schedule.next_run('30 2 * * *', 'Europe/Paris', after) == _utc(
        2026, 3, 29, 1, 0)


def test_a_wall_time_clocks_repeat_fires_once():
    # Paris, 25 October 2026: 03:00 CEST becomes 02:00 CET (01:00 UTC);
    # 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    first = schedule.next_run('30 2 * * *', 'Europe/Paris',
                              _utc(2026, 10, 24, 12, 0))
    assert first == _utc(2026, 10, 25, 0, 30)
    following = schedule.next_run('30 2 * * *', 'Europe/Paris', first)
    assert following == _utc(2026, 10, 26, 1, 30)


def test_hourly_over_the_autumn_change_never_repeats_a_wall_time():
    slot, slots = _utc(2026, 10, 24, 22, 0), []
    while slot < _utc(2026, 10, 25, 4, 0):
        slot = schedule.next_run('0 * * * *', 'Europe/Paris', slot)
        slots.append(slot)
    local = [s.replace(tzinfo=datetime.timezone.utc).astimezone(
        schedule.timezone('Europe/Paris')).strftime('%H:%M') for s in slots]
    assert len(local) == len(set(local))
    assert '02:00' in local


def test_a_missed_run_fires_once_then_the_next_slot_after_now():
    # Hourly, due at 01:00; the coordinators were down until 05:30.
    due_at, now = _utc(2026, 1, 1, 1, 0), _utc(2026, 1, 1, 5, 30)
    assert schedule.is_due(due_at, now)
    advanced = schedule.advance('0 * * * *', 'UTC', now)
    assert advanced == _utc(2026, 1, 1, 6, 0)
    # The four slots missed in between are not due any more.
    assert not schedule.is_due(advanced, now)


@pytest.mark.parametrize('next_run_at, now, due', [
    (None, _utc(2026, 1, 1), False),
    (_utc(2026, 1, 1), _utc(2026, 1, 1), True),
    (_utc(2026, 1, 1, 0, 0, 1), _utc(2026, 1, 1), False),
])
def test_is_due(next_run_at, now, due):
    assert schedule.is_due(next_run_at, now) is due


@pytest.mark.parametrize('cron, message', [
    ('* * * *', 'has 4 field(s)'),
    ('* * * * * * *', 'has 7 field(s)'),
    ('61 * * * *', 'not a valid cron expression'),
    ('*/0 * * * *', 'not a valid cron expression'),
    ('a b c d e', 'not a valid cron expression'),
    ('0 0 31 2 *', 'never matches'),
    ('', 'has 0 field(s)'),
])
def test_a_bad_cron_is_named(cron, message):
    with pytest.raises(schedule.InvalidSchedule) as error:
        schedule.validate(cron, 'UTC', _utc(2026, 1, 1))
    assert str(error.value).startswith('cron: ')
    assert message in str(error.value)


@pytest.mark.parametrize('zone', ['Mars/Olympus', 'utc+2', '../etc/passwd',
                                  '', 'Europe/'])
def test_a_bad_timezone_is_named(zone):
    with pytest.raises(schedule.InvalidSchedule) as error:
        schedule.validate('0 * * * *', zone, _utc(2026, 1, 1))
    assert str(error.value).startswith('timezone: ')


@pytest.mark.parametrize('zone', ['UTC', 'Europe/Paris', 'America/Sao_Paulo'])
def test_good_timezones_pass(zone):
    schedule.validate('0 * * * *', zone, _utc(2026, 1, 1))


@pytest.mark.parametrize('value, seconds', [
    (1, 1), (3600, 3600), ('45', 45), ('45s', 45), ('90m', 5400),
    ('12h', 43200), ('30d', 2592000), ('2w', 1209600),
])
def test_max_age(value, seconds):
    assert schedule.max_age_s(value) == seconds


@pytest.mark.parametrize('value', [0, -1, True, '0', '0d', '30 d', '30D',
                                   '1y', 'd', '', '1.5h', None, 2.5,
                                   2 ** 31, '999999999w'])
def test_a_bad_max_age_is_refused(value):
    with pytest.raises(schedule.InvalidSchedule, match='max_age'):
        schedule.max_age_s(value)
