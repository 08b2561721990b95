# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the read-only modules' main() in-process on inputs that need no Docker daemon."""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.tgops.stack.plugins.modules import compose_stack_info, db_location_info, env_file_info, preflight_info


def run_main(main, args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)


def test_env_file_info_keys_only(tmp_path, capsys):
    path = tmp_path / '.env.prod'
    path.write_text('export DB_PATH=/data/organizer.db\nBOT_TOKEN="123:very-secret"\nEMPTY=\n')
    os.chmod(str(path), 0o640)
    result = run_main(env_file_info.main, {'path': str(path), 'required_keys': ['DB_PATH', 'SENTRY_DSN'], '_ansible_check_mode': True}, capsys)
    assert result['changed'] is False
    assert result['env']['keys'] == ['BOT_TOKEN', 'DB_PATH', 'EMPTY']
    assert result['env']['missing_keys'] == ['SENTRY_DSN'] and result['env']['mode'] == '0640' and result['env']['mode_ok'] is False
    assert 'very-secret' not in json.dumps(result) and '/data/organizer.db' not in json.dumps(result)


def test_env_file_info_missing(tmp_path, capsys):
    result = run_main(env_file_info.main, {'path': str(tmp_path / 'nope')}, capsys)
    assert result['failed'] is True and 'must_exist=false' in result['msg']


@pytest.mark.parametrize('main, extra', [(compose_stack_info.main, {}), (db_location_info.main, {'service': 'api'}),
                                         (preflight_info.main, {'db': {'service': 'api'}})])
def test_compose_modules_refuse_missing_file(tmp_path, capsys, main, extra):
    (tmp_path / 'docker-compose.yml').write_text('services: {}\n')
    args = dict(project_src=str(tmp_path), files=['docker-compose.yml', 'docker-compose.vps.override.yml'], **extra)
    result = run_main(main, args, capsys)
    assert result['failed'] is True
    assert result['msg'].startswith('files: Compose file docker-compose.vps.override.yml does not exist')


def test_preflight_info_stops_after_missing_env_keys_without_running_compose(tmp_path, capsys):
    (tmp_path / '.env').write_text('DB_PATH=/data/organizer.db\nBOT_TOKEN=123:planted-secret\n')
    args = dict(project_src=str(tmp_path), files=['docker-compose.yml'], docker_cli='/nonexistent/docker', min_free_mb=1,
                env={'path': str(tmp_path / '.env'), 'required_keys': ['BOT_TOKEN', 'SENTRY_DSN']}, db={'service': 'api'},
                _ansible_check_mode=True)
    result = run_main(preflight_info.main, args, capsys)
    assert result['changed'] is False and result['stopped_after'] == 'env' and result['parts'] == ['env']
    assert result['env']['missing_keys'] == ['SENTRY_DSN'] and 'planted-secret' not in json.dumps(result)
