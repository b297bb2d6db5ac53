"""Figures and tables every benchmark prints the same way."""

import math


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    rank = (len(values) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def summary(values):
    """p50, p95, p99, max, min, mean and n of the values given (not None)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {'p50': percentile(values, 50), 'p95': percentile(values, 95),
            'p99': percentile(values, 99), 'max': max(values),
            'min': min(values), 'mean': sum(values) / len(values),
            'n': len(values)}


def fmt(value):
    if value is None:
        return '-'
    if abs(value) >= 100:
        return '%.0f' % value
    if abs(value) >= 10:
        return '%.1f' % value
    return '%.2f' % value


def cell(stats):
    """'p50/p99/max' of a summary."""
    if not stats:
        return '-'
    return '/'.join(fmt(stats[k]) for k in ('p50', 'p99', 'max'))


def table(rows, out, rule_after=0):
    """Rows of strings in aligned columns; a rule after row rule_after."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print('  '.join(c.ljust(w) for c, w in zip(row, widths)).rstrip(),
              file=out)
        if index == rule_after:
            print('  '.join('-' * w for w in widths), file=out)
