"""The member timeline of a group snapshot, as inline SVG.

One row per member on one time axis: its freeze window (frozen_at to
thawed_at) as a bar, its capture instant (captured_at) as a mark, and each
of its application hooks as a thin bar below (before the freeze, after the
thaw; red if it failed), so the skew between the captures, their overlap
with the freezes and the hooks' order across members show at a glance.
Drawn server-side from the API's member data: no JS library.
"""

import datetime
from xml.sax import saxutils

WIDTH = 720
LABEL_WIDTH = 170
ROW_HEIGHT = 24
AXIS_HEIGHT = 34
TICKS = 5
# Instants on the axis. received_at and fixed_at are left out: the fix can
# come seconds after a capture of milliseconds and would flatten the rest.
AXIS_FIELDS = ('frozen_at', 'captured_at', 'thawed_at')


def parse_instant(text):
    """ISO 8601 (the API's, with Z) -> aware datetime, or None."""
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


def _ms(instant, origin):
    return (instant - origin).total_seconds() * 1000.0


def _text(x, y, text, anchor='start', size=11, fill='#333'):
    return ('<text x="%.1f" y="%.1f" font-size="%d" fill="%s" '
            'text-anchor="%s">%s</text>'
            % (x, y, size, fill, anchor, saxutils.escape(str(text))))


def svg(members, fence_at=None):
    """The timeline of members (dicts as the API gives them) as SVG text.

    Returns '' when no member has an instant to draw.
    """
    rows = []
    for member in members:
        instants = {f: parse_instant(member.get(f)) for f in AXIS_FIELDS}
        hooks = [(r, parse_instant(r['started_at']),
                  parse_instant(r['ended_at']))
                 for r in member.get('hook_results') or ()]
        if any(instants.values()) or hooks:
            rows.append((member, instants, hooks))
    if not rows:
        return ''
    fence = parse_instant(fence_at)
    every = [i for _, inst, hooks in rows
             for i in list(inst.values()) + [t for h in hooks for t in h[1:]]
             if i]
    origin = min(every + [fence] if fence else every)
    span_ms = max(_ms(max(every), origin), 1.0)
    plot_width = WIDTH - LABEL_WIDTH - 20

    def x(instant):
        return LABEL_WIDTH + _ms(instant, origin) / span_ms * plot_width

    height = AXIS_HEIGHT + ROW_HEIGHT * len(rows) + 8
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="cs-timeline" '
             'width="%d" height="%d" viewBox="0 0 %d %d" role="img">'
             % (WIDTH, height, WIDTH, height),
             '<title>Freeze window, capture instant and hooks of each member'
             '</title>']
    axis_y = height - AXIS_HEIGHT + 6
    for i in range(TICKS + 1):
        tick_x = LABEL_WIDTH + plot_width * i / TICKS
        parts.append('<line x1="%.1f" y1="4" x2="%.1f" y2="%.1f" '
                     'stroke="#ddd"/>' % (tick_x, tick_x, axis_y))
        # The last label ends at its tick: centred, it would be cut off.
        anchor = 'end' if i == TICKS else 'middle'
        parts.append(_text(tick_x, axis_y + 14,
                           '%.1f ms' % (span_ms * i / TICKS), anchor, 10))
    parts.append(_text(LABEL_WIDTH, axis_y + 28,
                       'since %s' % origin.strftime('%H:%M:%S.%f')[:-3]
                       + ' UTC', 'start', 10, '#777'))
    if fence:
        parts.append('<line class="cs-fence" x1="%.1f" y1="4" x2="%.1f" '
                     'y2="%.1f" stroke="#c9302c" stroke-dasharray="4 3"/>'
                     % (x(fence), x(fence), axis_y))
    for n, (member, inst, hooks) in enumerate(rows):
        top = 6 + n * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        label = member.get('server_name') or member.get('server_id')
        parts.append(_text(LABEL_WIDTH - 8, middle + 4, label, 'end'))
        if inst['frozen_at']:
            end = inst['thawed_at'] or inst['captured_at'] or max(every)
            left = x(inst['frozen_at'])
            parts.append('<rect class="cs-freeze" x="%.1f" y="%.1f" '
                         'width="%.1f" height="10" fill="#9ecae1">'
                         '<title>frozen %.1f ms</title></rect>'
                         % (left, middle - 5, max(x(end) - left, 2.0),
                            _ms(end, inst['frozen_at'])))
        if inst['captured_at']:
            parts.append('<circle class="cs-capture" cx="%.1f" cy="%.1f" '
                         'r="4" fill="#08519c"><title>captured at +%.1f ms'
                         '</title></circle>'
                         % (x(inst['captured_at']), middle,
                            _ms(inst['captured_at'], origin)))
        for record, started, ended in hooks:
            parts.append(
                '<rect class="cs-hook" x="%.1f" y="%.1f" width="%.1f" '
                'height="3" fill="%s"><title>hook %s (%s): %s, %.1f ms'
                '</title></rect>' % (
                    x(started), middle + 7, max(x(ended) - x(started), 2.0),
                    '#31a354' if record['passed'] else '#c9302c',
                    saxutils.escape(record['name']), record['when'],
                    'passed' if record['passed'] else 'failed',
                    _ms(ended, started)))
    parts.append('</svg>')
    return ''.join(parts)
