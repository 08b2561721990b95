# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.compose import (
    check_services,
    compose_base_args,
    config_failure_message,
    config_sha256,
    docker_environ,
    parse_config_output,
    resolve_paths,
    run_compose_config,
    summarize_services,
    volume_users,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def test_resolve_paths_absolute(tmp_path):
    (tmp_path / 'docker-compose.yml').write_text('services: {}\n')
    (tmp_path / '.env.prod').write_text('A=1\n')
    src, files, env_files = resolve_paths(str(tmp_path), ['docker-compose.yml'], ['.env.prod'])
    assert src == str(tmp_path)
    assert files == [str(tmp_path / 'docker-compose.yml')]
    assert env_files == [str(tmp_path / '.env.prod')]


def test_resolve_paths_missing_file_names_option_and_file(tmp_path):
    (tmp_path / 'docker-compose.yml').write_text('services: {}\n')
    with pytest.raises(StackError) as exc:
        resolve_paths(str(tmp_path), ['docker-compose.yml', 'docker-compose.vps.override.yml'])
    assert exc.value.msg.startswith('files: Compose file docker-compose.vps.override.yml does not exist')
    assert str(tmp_path) in exc.value.msg


def test_resolve_paths_missing_env_file(tmp_path):
    with pytest.raises(StackError, match='^env_files: env file .env.prod does not exist'):
        resolve_paths(str(tmp_path), None, ['.env.prod'])


def test_resolve_paths_missing_project_src(tmp_path):
    with pytest.raises(StackError, match='project_src=.*is not an existing directory'):
        resolve_paths(str(tmp_path / 'nope'))


def test_compose_base_args_order():
    args = compose_base_args('docker', '/opt/app', 'deploy', ['/opt/app/a.yml', '/opt/app/b.yml'], ['/opt/app/.env.prod'], ['*'])
    assert args == ['docker', 'compose', '--project-directory', '/opt/app', '-p', 'deploy', '-f', '/opt/app/a.yml', '-f', '/opt/app/b.yml',
                    '--env-file', '/opt/app/.env.prod', '--profile', '*']
    assert compose_base_args('docker', '/opt/app') == ['docker', 'compose', '--project-directory', '/opt/app']


def test_docker_environ():
    assert docker_environ('tcp://h:2375')['DOCKER_HOST'] == 'tcp://h:2375'
    assert 'DOCKER_HOST' not in docker_environ(None)


def test_parse_config_output_real(fixture):
    config = parse_config_output(json.dumps(fixture('split_config.json')))
    assert config['name'] == 'tgopsutdeploy'
    with pytest.raises(StackError, match='not print valid JSON'):
        parse_config_output('name: yaml\n')
    with pytest.raises(StackError, match='without a project name'):
        parse_config_output('{}')


def test_config_sha256_canonical(fixture):
    config = fixture('split_config.json')
    reordered = json.loads(json.dumps(config, sort_keys=False))
    reordered = dict(reversed(list(reordered.items())))
    assert config_sha256(config) == config_sha256(reordered)
    assert len(config_sha256(config)) == 64
    changed = json.loads(json.dumps(config))
    changed['services']['api']['environment']['APP_MODE'] = 'other'
    assert config_sha256(config) != config_sha256(changed)


def test_summarize_services_keys_only(fixture):
    services = summarize_services(fixture('split_config.json'))
    assert sorted(services) == ['api', 'telegram-bot', 'worker']
    api = services['api']
    assert api['environment_keys'] == ['APP_MODE', 'BOT_TOKEN', 'COMPOSE_PROJECT_NAME', 'DB_PATH', 'EMPTY_ONE']
    assert api['healthcheck'] is True and services['worker']['healthcheck'] is False
    assert api['volumes'][0] == {'type': 'volume', 'source': 'db_data', 'volume_name': 'tgopsutdeploy_db_data', 'target': '/data',
                                 'read_only': False}
    assert api['volumes'][1]['type'] == 'bind' and api['volumes'][1]['read_only'] is True
    assert api['volumes'][1]['volume_name'] is None
    dumped = json.dumps(services)
    assert 'secret-token' not in dumped and '/data/organizer.db' not in dumped


def test_summarize_services_profiles(fixture):
    services = summarize_services(fixture('naming_allprofiles_config.json'))
    assert services['tool']['profiles'] == ['tools']
    assert 'tool' not in summarize_services(fixture('naming_config.json'))
    assert 'do-not-leak' not in json.dumps(services)


def test_volume_users_override_remap(fixture):
    users = volume_users(fixture('naming_config.json'))
    # compose.override.yaml remaps app's /srv/state from "data" to "data2"
    assert users['data2'] == [{'service': 'app', 'target': '/srv/state', 'read_only': False}]
    assert 'data' not in users
    assert users['shared'] == [{'service': 'app', 'target': '/shared', 'read_only': True}]


def test_check_services_lists_known(fixture):
    config = fixture('split_config.json')
    check_services(config, ['api', 'worker'])
    with pytest.raises(StackError) as exc:
        check_services(config, ['api', 'ghost'])
    assert 'ghost' in exc.value.msg
    assert 'known services: api, telegram-bot, worker' in exc.value.msg


def test_run_compose_config_failure_keeps_command_output():
    def run_command(cmd, environ_update=None):
        assert environ_update == {'DOCKER_HOST': 'tcp://x'}
        return 15, '', 'service "a" refers to undefined volume nokey: invalid compose project\n'
    with pytest.raises(StackError) as exc:
        run_compose_config(run_command, ['docker', 'compose'], {'DOCKER_HOST': 'tcp://x'})
    assert exc.value.msg == 'docker compose config failed (rc=15): service "a" refers to undefined volume nokey: invalid compose project'
    assert exc.value.details['cmd'] == ['docker', 'compose', 'config', '--format', 'json']
    assert exc.value.details['rc'] == 15
    assert 'undefined volume' in exc.value.details['stderr']


def test_run_compose_config_success(fixture):
    text = json.dumps(fixture('pg_config.json'))
    config, cmd = run_compose_config(lambda cmd, environ_update=None: (0, text, ''), ['docker', 'compose'])
    assert config['name'] == 'tgopsutsprint'
    assert cmd[-3:] == ['config', '--format', 'json']


def test_run_captured_reads_both_pipes_to_the_end_on_threads():
    from concurrent.futures import ThreadPoolExecutor

    from ansible_collections.tgops.stack.plugins.module_utils.compose import run_captured

    # The output comes only as the command ends, after more than a second: the case a select loop with a 1 s timeout can lose.
    cmd = ['sh', '-c', 'sleep 1.1; printf "%s" "$GREETING"; echo err >&2; exit 3']
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run_captured(cmd, {'GREETING': 'hello'}), range(4)))
    assert results == [(3, 'hello', 'err\n')] * 4
    rc, out, err = run_captured(['/nonexistent/docker', 'compose'])
    assert rc == 127 and out == '' and '/nonexistent/docker' in err


def test_compose_config_output_never_reaches_an_error(tmp_path):
    env = tmp_path / '.env'
    env.write_text('DB_URL="postgresql://u:S3cr3t${pw@db/x"\nTOKEN=PLANTEDtokenValue123\n')

    def failing(cmd, environ_update=None):
        return 15, '{"partial": "PLANTEDtokenValue123"}', 'Invalid template: "postgresql://u:S3cr3t${pw@db/x"\n'
    with pytest.raises(StackError) as exc:
        run_compose_config(failing, ['docker', 'compose'], env_files=[str(env)])
    text = exc.value.msg + json.dumps(exc.value.details)
    assert 'S3cr3t' not in text and 'PLANTEDtokenValue123' not in text
    assert 'Invalid template' in exc.value.msg and 'stdout' not in exc.value.details

    with pytest.raises(StackError) as exc:
        run_compose_config(lambda cmd, environ_update=None: (0, '{"services": {"a": {"environment": {"T": "PLANTEDtokenValue123"}}}', ''),
                           ['docker', 'compose'])
    assert 'PLANTEDtokenValue123' not in exc.value.msg + json.dumps(exc.value.details)


# Recorded from Compose 2.26 on a file with "services:\n  api: [unclosed\n".
COMPOSE_STDERR = "yaml: line 1: did not find expected ',' or ']'"


def test_bad_yaml_file_is_named(tmp_path):
    good = tmp_path / 'docker-compose.yml'
    good.write_text('services:\n  api:\n    image: x\n')
    bad = tmp_path / 'docker-compose.vps.override.yml'
    bad.write_text('services:\n  api: [unclosed\n')
    msg = config_failure_message(15, COMPOSE_STDERR, [str(good), str(bad)])
    assert 'rc=15' in msg and COMPOSE_STDERR in msg
    assert 'docker-compose.vps.override.yml (files option) is not valid YAML' in msg
    assert str(good) + ' (files option)' not in msg


def test_compose_naming_the_file_is_kept_as_is(tmp_path):
    f = tmp_path / 'compose.yaml'
    f.write_text('services: {}\n')
    out = 'service "api" refers to undefined volume nope: invalid compose project (compose.yaml)'
    assert config_failure_message(15, out, [str(f)]).endswith('Fix the file named above.')


def test_valid_yaml_lists_the_files(tmp_path):
    f = tmp_path / 'a.yml'
    f.write_text('services: {}\n')
    msg = config_failure_message(1, 'some semantic error', [str(f)])
    assert 'The files were: %s' % f in msg
