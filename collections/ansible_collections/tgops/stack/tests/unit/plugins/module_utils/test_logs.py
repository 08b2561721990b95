# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import secret_values
from ansible_collections.tgops.stack.plugins.module_utils.logs import (
    DEFAULT_ERROR_PATTERNS,
    compile_patterns,
    scan_lines,
    split_log_bytes,
)

LOG = b"""2026-11-22 06:41:30 worker inserted 50 rows
Traceback (most recent call last):
  File "/app/todo/worker.py", line 40, in main
sqlite3.OperationalError: no such table: tasks
2026-11-22 06:41:31 ERROR calendar NOT_CONFIGURED (expected in the test phase)
2026-11-22 06:41:32 bot token 123456:SECRETSECRETSECRET rejected
"""


def test_errors_found_and_allow_list_respected():
    lines = split_log_bytes(LOG, 120)
    errors = compile_patterns(DEFAULT_ERROR_PATTERNS, 'error_patterns')
    allows = compile_patterns([r'ERROR calendar NOT_CONFIGURED'], 'allow_patterns')
    verdict = scan_lines(lines, errors, allows)
    assert verdict['ok'] is False
    assert verdict['error_count'] == 2
    assert [m['line_no'] for m in verdict['matches']] == [2, 4]
    assert 'no such table: tasks' in verdict['summary']
    assert verdict['matches'][0]['line'] == 'Traceback (most recent call last): -> sqlite3.OperationalError: no such table: tasks'


def test_clean_log_is_ok():
    verdict = scan_lines(['started', 'inserted 50 rows'], compile_patterns(DEFAULT_ERROR_PATTERNS, 'x'), [])
    assert verdict == {'summary': 'no error in the last 2 lines', 'lines_scanned': 2, 'error_count': 0, 'matches': [], 'ok': True}


def test_secrets_are_redacted_from_evidence():
    lines = split_log_bytes(LOG, 120)
    errors = compile_patterns([r'rejected'], 'error_patterns')
    secrets = secret_values(['123456:SECRETSECRETSECRET', 'prod', ''])
    verdict = scan_lines(lines, errors, [], secrets)
    assert 'SECRETSECRET' not in repr(verdict)
    assert '***' in verdict['matches'][0]['line']
    assert secrets == ['123456:SECRETSECRETSECRET']


def test_tail_keeps_last_lines():
    assert split_log_bytes(b'a\nb\nc\n', 2) == ['b', 'c']


def test_bad_pattern_names_option_and_value():
    with pytest.raises(ValueError, match=r"allow_patterns: '\(' is not a valid regular expression"):
        compile_patterns(['('], 'allow_patterns')


def test_env_values_feed_redaction():
    from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_values

    text = 'BOT_TOKEN="123456:SECRETSECRETSECRET"\nexport S3_SECRET_KEY=abc/def+ghi # rotated\nEMPTY=\n# X=not\nMULTI="a\nb"\n'
    assert dotenv_values(text) == ['123456:SECRETSECRETSECRET', 'abc/def+ghi', 'a\nb']
