"""devstack's iniset/iniget for the harness: edit INI files in place.

    inifile.py set FILE SECTION OPTION VALUE   (creates FILE and SECTION)
    inifile.py get FILE SECTION OPTION         (prints nothing if unset)

Line based, like devstack's inc/ini-config: comments, order and other
options are kept; configparser would rewrite the whole file.
"""

import pathlib
import re
import sys

SECTION = re.compile(r'^\s*\[(?P<name>[^\]]+)\]\s*$')


def _option(name):
    return re.compile(r'^\s*%s\s*=' % re.escape(name))


def _section_span(lines, section):
    """(first line after the header, end) of section, or None."""
    start = None
    for i, line in enumerate(lines):
        match = SECTION.match(line)
        if match and start is not None:
            return start, i
        if match and match.group('name') == section:
            start = i + 1
    return (start, len(lines)) if start is not None else None


def iniset(path, section, option, value):
    path = pathlib.Path(path)
    lines = path.read_text().splitlines() if path.exists() else []
    span = _section_span(lines, section)
    entry = '%s = %s' % (option, value)
    if span is None:
        lines += ['[%s]' % section, entry]
    else:
        start, end = span
        found = [i for i in range(start, end)
                 if _option(option).match(lines[i])]
        if found:
            lines[found[0]] = entry
        else:
            # After the section's last option, before trailing blank lines.
            while end > start and not lines[end - 1].strip():
                end -= 1
            lines.insert(end, entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(lines) + '\n')


def iniget(path, section, option):
    path = pathlib.Path(path)
    if not path.exists():
        return ''
    lines = path.read_text().splitlines()
    span = _section_span(lines, section)
    for i in range(*span) if span else ():
        if _option(option).match(lines[i]):
            return lines[i].split('=', 1)[1].strip()
    return ''


def main(argv):
    if len(argv) == 6 and argv[1] == 'set':
        iniset(*argv[2:])
    elif len(argv) == 5 and argv[1] == 'get':
        print(iniget(*argv[2:]))
    else:
        sys.exit('usage: inifile.py set FILE SECTION OPTION VALUE | '
                 'get FILE SECTION OPTION')


if __name__ == '__main__':
    main(sys.argv)
