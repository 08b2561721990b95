# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.env_file import env_file_report, mode_ok
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError

PROJECTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'projects')


def test_report_real_env_file(tmp_path):
    src = os.path.join(PROJECTS, 'split', '.env.prod')
    path = tmp_path / '.env.prod'
    with open(src, encoding='utf-8') as handle:
        path.write_text(handle.read())
    os.chmod(str(path), 0o600)
    env = env_file_report(str(path), ['DB_PATH', 'BOT_TOKEN', 'SENTRY_DSN'])
    assert env['exists'] is True
    assert env['keys'] == ['BOT_TOKEN', 'COMPOSE_PROJECT_NAME', 'DB_PATH', 'EMPTY_ONE']
    assert env['missing_keys'] == ['SENTRY_DSN'] and env['empty_keys'] == ['EMPTY_ONE']
    assert env['mode'] == '0600' and env['mode_ok'] is True and env['expected_mode'] == '0600'
    assert env['line_count'] == 5 and env['invalid_lines'] == [] and env['duplicates'] == []
    assert env['owner']
    assert 'secret-token' not in repr(env)


def test_report_mode_too_open(tmp_path):
    path = tmp_path / '.env'
    path.write_text('A=1\n')
    os.chmod(str(path), 0o644)
    env = env_file_report(str(path))
    assert env['mode'] == '0644' and env['mode_ok'] is False
    os.chmod(str(path), 0o400)
    assert env_file_report(str(path))['mode_ok'] is True
    assert env_file_report(str(path), expected_mode='400')['mode_ok'] is True


def test_mode_ok():
    assert mode_ok('0600', '0600') and mode_ok('0400', '0600') and not mode_ok('0640', '0600') and not mode_ok('0700', '0600')


def test_missing_file(tmp_path):
    path = str(tmp_path / '.env.prod')
    with pytest.raises(StackError, match=r'^path=.*\.env\.prod: env file does not exist; create it \(mode 0600\) or fix the path option'):
        env_file_report(path)
    env = env_file_report(path, ['A'], must_exist=False)
    assert env['exists'] is False and env['missing_keys'] == ['A'] and env['mode_ok'] is None


def test_bad_expected_mode(tmp_path):
    with pytest.raises(StackError, match='^expected_mode=rw is not an octal file mode'):
        env_file_report(str(tmp_path), expected_mode='rw')


def test_directory_is_not_env_file(tmp_path):
    with pytest.raises(StackError, match='is not a regular file'):
        env_file_report(str(tmp_path))
