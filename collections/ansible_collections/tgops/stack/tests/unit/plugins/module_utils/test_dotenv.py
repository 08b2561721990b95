# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import normalize_mode, parse_dotenv, summarize_dotenv

TEXT = '''# comment
  # indented comment

export DB_PATH=/data/organizer.db
BOT_TOKEN="123:abc # not a comment"
SINGLE='it "works" # here'
EMPTY_ONE=
EMPTY_QUOTED=""
EMPTY_SINGLE=''
INLINE=value # a comment
ONLY_COMMENT= # nothing here
MULTI="line one
line two"
AFTER_MULTI=1
DOTTED.KEY-x=1
BOT_TOKEN=second
not a valid line
=novalue
BROKEN="unterminated
LAST=ok
'''


def test_parse_keys_and_lines():
    parsed = parse_dotenv(TEXT)
    keys = [e['key'] for e in parsed['entries']]
    assert keys == ['DB_PATH', 'BOT_TOKEN', 'SINGLE', 'EMPTY_ONE', 'EMPTY_QUOTED', 'EMPTY_SINGLE', 'INLINE', 'ONLY_COMMENT', 'MULTI',
                    'AFTER_MULTI', 'DOTTED.KEY-x', 'BOT_TOKEN', 'LAST']
    assert parsed['invalid_lines'] == [17, 18, 19]
    assert parsed['line_count'] == 20
    assert parsed['entries'][8] == {'key': 'MULTI', 'line': 12, 'empty': False}


def test_summary():
    summary = summarize_dotenv(parse_dotenv(TEXT), ['DB_PATH', 'SENTRY_DSN', 'EMPTY_ONE'])
    assert summary['keys'] == sorted(set(summary['keys']))
    assert summary['duplicates'] == ['BOT_TOKEN']
    assert summary['missing_keys'] == ['SENTRY_DSN']
    assert summary['empty_keys'] == ['EMPTY_ONE', 'EMPTY_QUOTED', 'EMPTY_SINGLE', 'ONLY_COMMENT']
    assert summary['invalid_lines'] == [17, 18, 19]


def test_no_values_leak():
    dumped = json.dumps(summarize_dotenv(parse_dotenv(TEXT), ['X']))
    for secret in ('organizer.db', '123:abc', 'second', 'line one', 'unterminated', 'not a valid'):
        assert secret not in dumped


def test_last_assignment_decides_emptiness():
    summary = summarize_dotenv(parse_dotenv('A=\nA=1\nB=1\nB=\n'))
    assert summary['empty_keys'] == ['B'] and summary['duplicates'] == ['A', 'B']


def test_escaped_quote_and_crlf():
    summary = summarize_dotenv(parse_dotenv('A="x \\" y"\r\nB=2\r\n'))
    assert summary['keys'] == ['A', 'B'] and summary['invalid_lines'] == []


def test_trailing_garbage_after_quote_is_invalid():
    assert parse_dotenv('A="x" y\n')['invalid_lines'] == [1]
    assert parse_dotenv('A="x" # ok\n')['invalid_lines'] == []


@pytest.mark.parametrize('mode, expected', [('600', '0600'), ('0600', '0600'), ('0o640', '0640'), (' 0400 ', '0400')])
def test_normalize_mode(mode, expected):
    assert normalize_mode(mode) == expected


@pytest.mark.parametrize('mode', ['', 'rw-------', '0800', '12345'])
def test_normalize_mode_invalid(mode):
    with pytest.raises(ValueError):
        normalize_mode(mode)
