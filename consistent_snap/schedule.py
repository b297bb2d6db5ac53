"""When a backup policy runs: its cron, its time zone, its next slot.

Pure functions of their arguments ("now" included), shared by the API,
which validates and shows next_run_at, and the coordinator's scheduler,
which fires and advances it. Instants are naive UTC datetimes, as the
database stores them.
"""

import datetime
import re
import zoneinfo

import croniter

UTC = datetime.timezone.utc
# 5 fields as crontab(5); a 6th, first, for seconds, as Quartz and most
# schedulers that take seconds read it (croniter's default puts it last).
FIELDS = (5, 6)
MAX_AGE_PATTERN = r'^[1-9][0-9]{0,9}[smhdw]?$'
UNIT_S = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
# What a 32-bit integer column holds: 68 years.
MAX_AGE_S = 2 ** 31 - 1


class InvalidSchedule(ValueError):
    """What is wrong with a cron, a time zone or a max age, for a person."""


def timezone(name):
    """The ZoneInfo of an IANA name, e.g. Europe/Paris."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise InvalidSchedule("'%s' is not an IANA time zone name (e.g. UTC, "
                              "Europe/Paris)" % name)


def _croniter(cron, start):
    fields = cron.split()
    if len(fields) not in FIELDS:
        raise InvalidSchedule(
            "'%s' has %d field(s): give 5 (minute hour day month weekday) or "
            "6 (second first)" % (cron, len(fields)))
    try:
        return croniter.croniter(' '.join(fields), start,
                                 second_at_beginning=len(fields) == 6)
    except (croniter.CroniterError, ValueError) as e:
        raise InvalidSchedule("'%s' is not a valid cron expression: %s" %
                              (cron, e))


def _aware(instant):
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def _repeated(local):
    """True for the second occurrence of a wall time when clocks go back."""
    return (local.fold == 1 and
            local.replace(fold=0).utcoffset() != local.utcoffset())


def next_run(cron, zone_name, after):
    """The first slot strictly after ``after``, as naive UTC.

    Slots are wall times in the zone: one that occurs twice when clocks
    go back fires once (the first time); one skipped when they go forward
    fires when the gap ends. Raises InvalidSchedule for an expression
    that never matches (e.g. 30 February).
    """
    zone = timezone(zone_name)
    # Whole seconds: the slot compared in the claim must survive a
    # database that drops microseconds.
    start = _aware(after).astimezone(zone).replace(microsecond=0)
    slots = _croniter(cron, start)
    try:
        slot = slots.get_next(datetime.datetime)
        while _repeated(slot):
            slot = slots.get_next(datetime.datetime)
    except croniter.CroniterError as e:
        raise InvalidSchedule("'%s' never matches: %s" % (cron, e))
    return slot.astimezone(UTC).replace(tzinfo=None)


def validate(cron, zone_name, now):
    """Raise InvalidSchedule, naming the field, unless both are usable."""
    try:
        timezone(zone_name)
    except InvalidSchedule as e:
        raise InvalidSchedule('timezone: %s' % e)
    try:
        next_run(cron, zone_name, now)
    except InvalidSchedule as e:
        raise InvalidSchedule('cron: %s' % e)


def is_due(next_run_at, now):
    return next_run_at is not None and next_run_at <= now


def advance(cron, zone_name, now):
    """The next_run_at a run fired at ``now`` leaves behind.

    The next slot after now, not after the slot that fired: after a
    downtime the missed slots fire once, together, not once each.
    """
    return next_run(cron, zone_name, now)


def max_age_s(value):
    """Seconds of a max age: an integer, or '90m', '12h', '30d', '2w'."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and re.match(MAX_AGE_PATTERN, value):
        if value[-1] in UNIT_S:
            seconds = int(value[:-1]) * UNIT_S[value[-1]]
        else:
            seconds = int(value)
    else:
        raise InvalidSchedule(
            "max_age %r is not a number of seconds or a number followed by "
            "s, m, h, d or w (e.g. 30d)" % (value,))
    if not 1 <= seconds <= MAX_AGE_S:
        raise InvalidSchedule('max_age must be from 1 second to %d seconds '
                              '(68 years)' % MAX_AGE_S)
    return seconds
