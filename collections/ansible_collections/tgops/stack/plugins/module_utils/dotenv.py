# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure dotenv parsing that keeps keys and facts about values, never the values themselves."""

from __future__ import annotations

import os
import re

KEY_RE = re.compile(r'^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=(.*)$')
# What Compose v2 (compose-go's dotenv parser) accepts in a key: letters, digits, _ . - [ ]
_KEY_OK = re.compile(r'^[\w.\-\[\]]+$', re.UNICODE)
_SPACE = ' \t\v\f\r\x85\xa0'  # compose-go's isSpace: white space that is not a line break
_ESCAPE_SEQ = re.compile(r'(\\(?:[abcfnrtv$"\\]|0\d{0,3}))')
_ESCAPES = {'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '"': '"', '\\': '\\'}
_NAME = re.compile(r'[_A-Za-z][_A-Za-z0-9]*')
_OPERATORS = (':?', '?', ':-', '-', ':+', '+')


class InterpolationError(ValueError):
    """A ``${...}`` Compose refuses (invalid template, or a required variable missing); never holds a value."""


def _expand_escapes(text):
    r"""Escape sequences of a double-quoted value, as compose-go's expandEscapes (``\$`` becomes ``$$``)."""
    def one(match):
        seq = match.group(1)
        if seq == '\\$':
            return '$$'
        if seq.startswith('\\0'):
            digits = seq[2:]
            if len(digits) == 3 and all(d in '01234567' for d in digits) and int(digits, 8) < 256:
                return chr(int(digits, 8))
            return seq
        return _ESCAPES.get(seq[1], seq)
    return _ESCAPE_SEQ.sub(one, text)


def _closing_brace(text, start):
    """Index of the ``}`` closing the ``${`` at ``start`` (compose-go's brace counting), or -1."""
    depth = 0
    i = start
    while i < len(text):
        if text[i] == '}':
            depth -= 1
            if depth == 0:
                return i
        if text[i] == '{':
            depth += 1
            i += 1
        i += 1
    return -1


def interpolate(text, lookup):
    """``$$``, ``$NAME``, ``${NAME}`` and ``${NAME<op>word}`` (ops ``:- - :+ + :? ?``) as Compose substitutes them.

    ``lookup(name)`` returns the value or None when unset; unset reads as ''. Raises InterpolationError.
    """
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != '$' or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == '$':
            out.append('$')
            i += 2
            continue
        named = _NAME.match(text, i + 1)
        if named:
            out.append(lookup(named.group(0)) or '')
            i = named.end()
            continue
        if nxt != '{':
            out.append(char)
            i += 1
            continue
        end = _closing_brace(text, i + 1)
        if end < 0:
            raise InterpolationError('invalid template: "${" without a closing "}"')
        out.append(_substitute(text[i + 2:end], lookup))
        i = end + 1
    return ''.join(out)


def _substitute(inner, lookup):
    name = _NAME.match(inner)
    if not name:
        raise InterpolationError('invalid template: "${%s}"' % inner.split(':')[0][:20])
    rest = inner[name.end():]
    if not rest:
        return lookup(name.group(0)) or ''
    found = [(inner.find(op), order, op) for order, op in enumerate(_OPERATORS) if op in inner]
    _index, _order, op = min(found) if found else (-1, 0, None)
    if op is None or not rest.startswith(op):
        raise InterpolationError('invalid template: "${%s...}"' % name.group(0))
    word = rest[len(op):]
    value = lookup(name.group(0))
    if op in (':?', '?'):
        if value is None or (op == ':?' and value == ''):
            raise InterpolationError('required variable %s is missing a value' % name.group(0))
        return value
    word = interpolate(word, lookup)
    if op == ':-':
        return value if value else word
    if op == '-':
        return value if value is not None else word
    if op == ':+':
        return word if value else (value or '')
    return word if value is not None else ''


def tokenize(text, environ=None):
    r"""The statements of dotenv text as Compose v2 reads an env file (compose-go's dotenv parser).

    Returns dicts ``key``, ``value`` (as the container gets it), ``raw`` (the text between the quotes, or the bare
    text), ``quote`` ('"', "'" or ''), ``export``, ``line`` and ``end_line`` (1-based), ``valid`` and ``error``
    (why it is invalid; never a value). Rules:

    - blank lines and lines starting with ``#`` are skipped; ``export`` is dropped; ``KEY=value`` or ``KEY: value``;
    - bare values end at the line end, an inline comment starts at `` #``, trailing white space is trimmed;
    - single quotes are literal (only ``\'`` is an escaped quote) and may span lines;
    - double quotes may span lines, ``\"`` is a quote, then ``\\ \n \t \r \a \b \f \v \0ooo`` are expanded and
      ``\$`` is a literal ``$``;
    - bare and double-quoted values are interpolated: ``$$`` is ``$``; ``$NAME``/``${NAME...}`` read ``environ``
      first, then the keys assigned earlier in the file; unset reads as '' (Compose warns);
    - a key alone on its line takes its value from ``environ`` (``inherited``).

    Where Compose refuses the whole file (a bad key, an unterminated quote, text after a closing quote, a bad
    ``${...}``), the statement is marked invalid and reading goes on at the next line.
    """
    environ = environ or {}
    text = text.replace('\r\n', '\n')
    known = {}

    def lookup(name):
        if name in environ:
            return environ[name]
        return known.get(name)

    statements = []
    n = len(text)
    pos = 0
    line = 1
    while pos < n:
        char = text[pos]
        if char == '\n':
            line += 1
            pos += 1
            continue
        if char in _SPACE:
            pos += 1
            continue
        eol = text.find('\n', pos)
        eol = n if eol < 0 else eol
        if char == '#':
            pos = eol
            continue
        start_line = line
        stmt = dict(key='', value='', raw='', quote='', export=False, line=start_line, end_line=start_line, valid=False, error='')
        statements.append(stmt)
        export = re.match(r'export[ \t]+', text[pos:eol])
        if export:
            stmt['export'] = True
            pos += export.end()
        sep = min([i for i in (text.find('=', pos, eol), text.find(':', pos, eol)) if i >= 0] or [eol])
        key = text[pos:sep].strip(_SPACE)
        stmt['key'] = key
        if sep == eol:
            if key and _KEY_OK.match(key):
                stmt.update(inherited=True, valid=key in environ, value=environ.get(key, ''),
                            error='' if key in environ else 'no value in the environment')
            else:
                stmt['error'] = 'not an assignment'
            pos = eol
            continue
        if not key or not _KEY_OK.match(key):
            stmt['error'] = 'bad key'
            pos = eol
            continue
        pos = sep + 1
        while pos < eol and text[pos] in _SPACE:
            pos += 1
        try:
            if pos < n and text[pos] in '"\'':
                quote = text[pos]
                chars = []
                escaped = False
                i = pos + 1
                end_line = start_line
                closed = False
                while i < n:
                    c = text[i]
                    if c == '\n':
                        end_line += 1
                    if c != quote:
                        if not escaped and c == '\\':
                            escaped = True
                        else:
                            if escaped:
                                escaped = False
                                chars.append('\\')
                            chars.append(c)
                        i += 1
                        continue
                    if escaped:
                        escaped = False
                        chars.append(c)
                        i += 1
                        continue
                    closed = True
                    break
                if not closed:
                    stmt['error'] = 'unterminated quoted value'
                    pos = eol
                    continue
                raw = ''.join(chars)
                after_end = text.find('\n', i + 1)
                after_end = n if after_end < 0 else after_end
                trailing = text[i + 1:after_end].strip(_SPACE)
                stmt.update(raw=raw, quote=quote, end_line=end_line)
                line = end_line
                pos = after_end
                value = interpolate(_expand_escapes(raw), lookup) if quote == '"' else raw
                if trailing and not trailing.startswith('#'):
                    stmt['error'] = 'text after the closing quote'
                    continue
            else:
                raw = text[pos:eol].split(' #', 1)[0].rstrip(_SPACE + '\n')
                stmt['raw'] = raw
                pos = eol
                value = interpolate(raw, lookup)
        except InterpolationError as exc:
            stmt['error'] = str(exc)
            pos = max(pos, eol)
            continue
        stmt.update(value=value, valid=True)
        known[key] = value
    return statements


def parse_dotenv(text):
    """Parse dotenv text.

    Returns a dict with ``entries`` (list of {key, line, empty}), ``invalid_lines``
    (1-based line numbers) and ``line_count``. Values are never kept.
    """
    entries = []
    invalid = []
    for stmt in tokenize(text):
        if stmt.get('inherited'):
            continue
        if stmt['valid']:
            entries.append({'key': stmt['key'], 'line': stmt['line'], 'empty': stmt['value'] == ''})
        else:
            invalid.append(stmt['line'])
    return {'entries': entries, 'invalid_lines': invalid, 'line_count': len(text.splitlines())}


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


def dotenv_pairs(text, environ=None):
    """(key, value) pairs assigned in dotenv text, in order, each value as Compose gives it to a container
    (see tokenize); for modules that must use one value without returning it."""
    return [(stmt['key'], stmt['value']) for stmt in tokenize(text, environ) if stmt['valid'] and not stmt.get('inherited')]


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8', errors='replace')


def read_env_pairs(path, environ=None):
    """The (key, value) pairs of an env file as Compose reads it; ``$NAME`` looks in ``environ`` (default: this
    process's environment, the one a ``docker compose`` started from here would see) first. Raises OSError."""
    return dotenv_pairs(_read(path), os.environ if environ is None else environ)


def dotenv_values(text, environ=None):
    """All non-empty values of dotenv text, as the container gets them and as written between the quotes, for
    redaction only (never returned by a module)."""
    values = []
    for stmt in tokenize(text, environ):
        for value in (stmt['value'], stmt['raw']):
            if value and value not in values:
                values.append(value)
    return values


def read_env_values(path, environ=None):
    """The values of an env file (see dotenv_values); raises OSError when unreadable."""
    return dotenv_values(_read(path), os.environ if environ is None else environ)


REDACTED = '<redacted>'


def redact_dotenv(text):
    """A copy of dotenv text that keeps the keys and replaces every non-empty value by ``<redacted>``.

    Comments and statements that do not parse are dropped (a commented-out assignment or a broken line may hold a
    secret); an empty value stays empty. Multi-line quoted values collapse to one line. The result never contains
    a value.
    """
    out = ['# keys of the env file; values replaced by %s' % REDACTED]
    for stmt in tokenize(text):
        if stmt.get('inherited'):
            out.append(stmt['key'])
        elif not stmt['valid']:
            out.append('# line %d not parsed; removed' % stmt['line'])
        else:
            out.append('%s%s=%s' % ('export ' if stmt['export'] else '', stmt['key'], REDACTED if stmt['value'] or stmt['raw'] else ''))
    return '\n'.join(out) + '\n'


# Values shorter than this are not redacted: they would blank ordinary words
# ("1", "prod") and carry no secret.
MIN_SECRET_LEN = 6
LINE_REDACTED = '***'


def redact(line, secrets):
    """Replace every known secret value in a line (log evidence, an error) by ***."""
    for value in secrets:
        if value and value in line:
            line = line.replace(value, LINE_REDACTED)
    return line


def secret_values(env_values):
    """The values worth redacting, longest first so overlaps redact fully."""
    values = {v for v in env_values if v and len(v) >= MIN_SECRET_LEN}
    return sorted(values, key=len, reverse=True)
