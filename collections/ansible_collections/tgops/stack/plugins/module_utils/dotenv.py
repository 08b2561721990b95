# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure dotenv parsing that keeps keys and facts about values, never the values themselves."""

from __future__ import annotations

import re

KEY_RE = re.compile(r'^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=(.*)$')


def _value_state(rest, lines, index):
    """Inspect the text after ``=``; return (is_empty, is_valid, next_index). Multi-line quoted values consume lines."""
    value, valid, next_index = _read_value(rest, lines, index)
    return value == '', valid, next_index


def _read_value(rest, lines, index):
    """The value after ``=``; return (value, is_valid, next_index). Multi-line quoted values consume lines."""
    value = rest.strip()
    if not value or value.startswith('#'):
        return '', True, index + 1
    quote = value[0]
    if quote not in ('"', "'"):
        # Unquoted: an inline comment starts at ' #'.
        value = re.split(r'[ \t]+#', value, maxsplit=1)[0].strip()
        return value, True, index + 1
    body = value[1:]
    pos = index
    collected = []
    while True:
        end = _closing_quote(body, quote)
        if end >= 0:
            collected.append(body[:end])
            trailing = body[end + 1:].strip()
            valid = trailing == '' or trailing.startswith('#')
            return ''.join(collected), valid, pos + 1
        collected.append(body + '\n')
        pos += 1
        if pos >= len(lines):
            return ''.join(collected), False, index + 1
        body = lines[pos]


def _closing_quote(text, quote):
    escaped = False
    for pos, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == '\\' and quote == '"':
            escaped = True
        elif char == quote:
            return pos
    return -1


def parse_dotenv(text):
    """Parse dotenv text.

    Returns a dict with ``entries`` (list of {key, line, empty}), ``invalid_lines``
    (1-based line numbers) and ``line_count``. Values are never kept.
    """
    lines = text.splitlines()
    entries = []
    invalid = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith('#'):
            index += 1
            continue
        match = KEY_RE.match(stripped)
        if not match:
            invalid.append(index + 1)
            index += 1
            continue
        empty, valid, next_index = _value_state(match.group(2), lines, index)
        if valid:
            entries.append({'key': match.group(1), 'line': index + 1, 'empty': empty})
        else:
            invalid.append(index + 1)
        index = next_index
    return {'entries': entries, 'invalid_lines': invalid, 'line_count': len(lines)}


def summarize_dotenv(parsed, required_keys=None):
    """keys (sorted, unique), duplicates, missing_keys, empty_keys of a parse_dotenv result."""
    seen = {}
    for entry in parsed['entries']:
        seen.setdefault(entry['key'], []).append(entry)
    # The last assignment wins (as in Compose), so a key is empty when its last value is empty.
    empty = sorted(key for key, items in seen.items() if items[-1]['empty'])
    return {
        'keys': sorted(seen),
        'duplicates': sorted(key for key, items in seen.items() if len(items) > 1),
        'missing_keys': [key for key in required_keys or [] if key not in seen],
        'empty_keys': empty,
        'invalid_lines': list(parsed['invalid_lines']),
        'line_count': parsed['line_count'],
    }


def normalize_mode(mode):
    """'600', '0600', '0o600' -> '0600'; raise ValueError otherwise."""
    text = str(mode).strip().lower()
    if text.startswith('0o'):
        text = text[2:]
    if not text or not re.match(r'^[0-7]{1,4}$', text):
        raise ValueError(mode)
    return '%04o' % int(text, 8)


def dotenv_pairs(text):
    """(key, value) pairs assigned in dotenv text, in order; for modules that must use one value without returning it."""
    lines = text.splitlines()
    pairs = []
    index = 0
    while index < len(lines):
        match = KEY_RE.match(lines[index].strip())
        if not match:
            index += 1
            continue
        value, valid, index = _read_value(match.group(2), lines, index)
        if valid:
            pairs.append((match.group(1), value))
    return pairs


def read_env_pairs(path):
    """The (key, value) pairs of an env file; raises OSError when unreadable."""
    with open(path, 'rb') as handle:
        return dotenv_pairs(handle.read().decode('utf-8', errors='replace'))


def dotenv_values(text):
    """All non-empty values assigned in dotenv text, for redaction only (never returned by a module)."""
    return [value for _key, value in dotenv_pairs(text) if value]


def read_env_values(path):
    """The values of an env file (see dotenv_values); raises OSError when unreadable."""
    with open(path, 'rb') as handle:
        return dotenv_values(handle.read().decode('utf-8', errors='replace'))


REDACTED = '<redacted>'


def redact_dotenv(text):
    """A copy of dotenv text that keeps the keys and replaces every non-empty value by ``<redacted>``.

    Comments and lines that do not parse are dropped (a commented-out assignment
    or a broken line may hold a secret); an empty value stays empty. Multi-line
    quoted values collapse to one line. The result never contains a value.
    """
    lines = text.splitlines()
    out = ['# keys of the env file; values replaced by %s' % REDACTED]
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith('#'):
            index += 1
            continue
        match = KEY_RE.match(stripped)
        if not match:
            out.append('# line %d not parsed; removed' % (index + 1))
            index += 1
            continue
        value, valid, next_index = _read_value(match.group(2), lines, index)
        if not valid:
            out.append('# line %d not parsed; removed' % (index + 1))
        else:
            prefix = 'export ' if stripped.startswith('export') and not stripped.startswith(match.group(1)) else ''
            out.append('%s%s=%s' % (prefix, match.group(1), REDACTED if value else ''))
        index = next_index
    return '\n'.join(out) + '\n'
