"""How a group snapshot's measured figures read, for people.

One wording for the CLI, Horizon, the coordinator's log and a policy's
last result: the headline is the bound the cut guarantees, never the
spread of the calls alone (skew_ms), which says when the calls were made,
not when the points in time were fixed.
"""


def cut_text(snapshot):
    """'frozen together', 'within 2345.1 ms', or '-' when not measured."""
    if snapshot.get('frozen_together'):
        return 'frozen together'
    if snapshot.get('skew_bound_ms') is None:
        return '-'
    return 'within %.1f ms' % snapshot['skew_bound_ms']
