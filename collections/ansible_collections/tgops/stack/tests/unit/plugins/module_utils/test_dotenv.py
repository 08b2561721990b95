# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs, normalize_mode, parse_dotenv, summarize_dotenv, tokenize

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
    # as Compose reads it, 'ONLY_COMMENT= # nothing here' is the value '# nothing here' (only ' #' after a value starts a comment)
    assert summary['empty_keys'] == ['EMPTY_ONE', 'EMPTY_QUOTED', 'EMPTY_SINGLE']
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


FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'dotenv')


def test_values_equal_what_compose_gives_the_container():
    """tricky.env against the environment `docker compose config` printed for it (recorded)."""
    with open(os.path.join(FIXTURES, 'tricky.env')) as handle:
        text = handle.read()
    with open(os.path.join(FIXTURES, 'tricky.compose-config.json')) as handle:
        recorded = json.load(handle)['environment']
    expected = dict((key, value.replace('$$', '$')) for key, value in recorded.items())
    assert dict(dotenv_pairs(text, {})) == expected


def test_interpolation_reads_the_environment_first_then_earlier_keys():
    text = 'A=file\nB=${A}-$A-${C:-c}-${C-x}-${A:+set}-${C+unset}\nC=\nD=${C:-empty}${C-notused}\n'
    pairs = dict(dotenv_pairs(text, {'A': 'env'}))
    assert pairs['B'] == 'env-env-c-x-set-'
    assert pairs['D'] == 'empty'


def test_bad_templates_and_required_variables_make_the_line_invalid():
    parsed = parse_dotenv('A=${\nB=${1x}\nC=${MISSING:?set it}\nD=ok\n')
    assert parsed['invalid_lines'] == [1, 2, 3] and [e['key'] for e in parsed['entries']] == ['D']


def test_tokenize_spans_and_export():
    stmts = tokenize('export A="x\ny"\nB=1\n')
    assert [(s['key'], s['line'], s['end_line'], s['export']) for s in stmts] == [('A', 1, 2, True), ('B', 3, 3, False)]
