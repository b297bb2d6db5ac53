"""The member timeline: SVG drawn from a group snapshot's member data."""

import xml.etree.ElementTree as ElementTree

import pytest

from consistent_snap.dashboard import timeline

SVG = '{http://www.w3.org/2000/svg}'
MEMBERS = [
    {'server_name': 'web-<0>', 'frozen_at': '2026-01-01T00:00:00.100Z',
     'captured_at': '2026-01-01T00:00:00.150Z',
     'thawed_at': '2026-01-01T00:00:00.300Z',
     'fixed_at': '2026-01-01T00:00:09.000Z'},
    {'server_name': 'db', 'frozen_at': '2026-01-01T00:00:00.102Z',
     'captured_at': '2026-01-01T00:00:00.160Z',
     'thawed_at': '2026-01-01T00:00:00.500Z'},
]
FENCE_AT = '2026-01-01T00:00:00.000Z'


def _draw(members=MEMBERS, fence_at=FENCE_AT):
    return ElementTree.fromstring(timeline.svg(members, fence_at))


def _x(element, attr='x'):
    return float(element.get(attr))


def test_one_bar_and_one_mark_per_member_on_one_axis():
    root = _draw()
    bars = root.findall('%srect' % SVG)
    marks = root.findall('%scircle' % SVG)
    assert len(bars) == len(marks) == 2
    # The axis runs from the fence (0 ms) to the last thaw (500 ms).
    left = timeline.LABEL_WIDTH
    plot = timeline.WIDTH - timeline.LABEL_WIDTH - 20
    # Drawn to 0.1 px.
    assert _x(bars[0]) == pytest.approx(left + 0.1 / 0.5 * plot, abs=0.05)
    assert _x(marks[1], 'cx') == pytest.approx(left + 0.16 / 0.5 * plot,
                                               abs=0.05)
    assert float(bars[1].get('width')) == pytest.approx(
        (0.5 - 0.102) / 0.5 * plot, abs=0.05)
    # fixed_at, 9 s later, does not stretch the axis.
    labels = [t.text for t in root.findall('%stext' % SVG)]
    assert '500.0 ms' in labels
    assert any(line.get('class') == 'cs-fence'
               for line in root.findall('%sline' % SVG))


def test_server_names_are_escaped():
    labels = [t.text for t in _draw().findall('%stext' % SVG)]
    assert 'web-<0>' in labels  # Parsed back: it was escaped in the text.
    assert '<0>' not in timeline.svg(MEMBERS, FENCE_AT)


def test_a_member_never_frozen_still_shows_its_capture():
    root = _draw([{'server_name': 'a',
                   'captured_at': '2026-01-01T00:00:01Z'}], None)
    assert not root.findall('%srect' % SVG)
    assert len(root.findall('%scircle' % SVG)) == 1


def test_nothing_to_draw_before_any_member_acts():
    assert timeline.svg([{'server_name': 'a'}], FENCE_AT) == ''
    assert timeline.svg([], None) == ''


def test_hooks_are_thin_bars_in_their_order_red_when_they_failed():
    db = dict(MEMBERS[1], hook_results=[
        {'name': 'flush', 'when': 'pre_freeze', 'passed': True,
         'started_at': '2026-01-01T00:00:00.020Z',
         'ended_at': '2026-01-01T00:00:00.090Z'},
        {'name': 'resume', 'when': 'post_thaw', 'passed': False,
         'started_at': '2026-01-01T00:00:00.510Z',
         'ended_at': '2026-01-01T00:00:00.600Z'}])
    root = _draw([MEMBERS[0], db])
    hooks = [r for r in root.findall('%srect' % SVG)
             if r.get('class') == 'cs-hook']
    assert [h.get('fill') for h in hooks] == ['#31a354', '#c9302c']
    # Before the freeze, after the thaw; the axis now ends at 600 ms.
    plot = timeline.WIDTH - timeline.LABEL_WIDTH - 20
    assert _x(hooks[0]) == pytest.approx(
        timeline.LABEL_WIDTH + 0.02 / 0.6 * plot, abs=0.05)
    assert hooks[1].find('%stitle' % SVG).text == (
        'hook resume (post_thaw): failed, 90.0 ms')
