# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""preflight_info's logic on the recorded ``split`` project (its model, containers and volumes from a real run)."""

from __future__ import annotations

import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.preflight import (
    collect,
    db_params,
    free_mb,
    host_facts,
    parse_os_release,
)


class RecordedProject:
    """What ComposeProject gives the module, from recorded output instead of Docker."""

    def __init__(self, config, volumes, containers):
        self.config, self.volume_attrs, self.container_attrs = config, volumes, containers
        self.project_src = '/tmp/tgopsut/split'
        self.files = [self.project_src + '/docker-compose.yml', self.project_src + '/docker-compose.vps.override.yml']
        self.env_files = [self.project_src + '/.env.prod']

    def run_docker(self, args):
        raise AssertionError('a SQLite pre-flight runs no docker command: %s' % args)


class Statvfs:
    def __init__(self, avail_mb):
        self.f_bavail, self.f_frsize = avail_mb * 256, 4096


@pytest.fixture
def factory(fixture):
    """A project factory recording the parameters of every model it was asked for."""
    calls = []

    def make(params):
        calls.append(params)
        return RecordedProject(fixture('split_config.json'), fixture('volumes_all.json'), fixture('split_containers.json'))
    make.calls = calls
    return make


def params(tmp_path, **overrides):
    env = tmp_path / '.env.prod'
    env.write_text('DB_PATH=/data/organizer.db\nBOT_TOKEN=123:planted-secret\n')
    out = dict(project_src='/tmp/tgopsut/split', project_name=None, files=['docker-compose.yml', 'docker-compose.vps.override.yml'],
               env_files=['.env.prod'], profiles=None, docker_cli='docker', docker_host=None,
               env={'path': str(env), 'required_keys': ['DB_PATH', 'BOT_TOKEN']}, inspect_stack=True, services=['api', 'worker'],
               min_free_mb=100,
               db=dict(service='api', engine='sqlite', path_variable='DB_PATH', path=None, expected_volume='db_data', required_tables=[],
                       use_running_container=True, url_variable='DB_URL', db_user=None, db_name=None, quick_check=False,
                       migration={'service': 'worker', 'extra_files': ['docker-compose.migrate.yml'], 'profiles': ['*']}))
    out.update(overrides)
    return out


def test_every_part_from_one_model_in_the_checks_order(tmp_path, factory):
    result = collect(params(tmp_path), factory, statvfs=lambda path: Statvfs(5000))
    assert result['parts'] == ['env', 'stack', 'free_space', 'db'] and result['stopped_after'] is None
    assert result['env']['missing_keys'] == [] and result['env']['keys'] == ['BOT_TOKEN', 'DB_PATH']
    assert 'planted-secret' not in repr(result)
    assert result['stack']['volumes']['db_data']['name'] == 'tgopsutdeploy_db_data'
    assert result['free_mb'] == 5000
    assert result['db']['volume_name'] == 'tgopsutdeploy_db_data' and result['db']['matches_expected'] is True
    assert result['migration_db']['volume_name'] == 'tgopsutdeploy_db_data' and result['migration_db']['service'] == 'worker'
    assert 'guard_message' in result and 'migration_guard_message' in result
    # One model for the env, the stack and the runtime DB; a second one for the migration (its files and profiles).
    first, second = factory.calls
    assert first['files'] == ['docker-compose.yml', 'docker-compose.vps.override.yml']
    assert second['files'] == ['docker-compose.yml', 'docker-compose.vps.override.yml', 'docker-compose.migrate.yml']
    assert second['profiles'] == ['*'] and second['use_running_container'] is False and second['service'] == 'worker'


def test_missing_env_keys_end_the_reading_before_compose_runs(tmp_path, factory):
    result = collect(params(tmp_path, env={'path': str(tmp_path / '.env.prod'), 'required_keys': ['DB_PATH', 'SENTRY_DSN']}),
                     factory, statvfs=lambda path: Statvfs(5000))
    assert result['stopped_after'] == 'env' and result['parts'] == ['env']
    assert result['env']['missing_keys'] == ['SENTRY_DSN']
    assert factory.calls == [] and 'stack' not in result and 'db' not in result


def test_too_little_free_space_ends_the_reading_before_the_db(tmp_path, factory):
    result = collect(params(tmp_path, min_free_mb=6000), factory, statvfs=lambda path: Statvfs(5000))
    assert result['stopped_after'] == 'free_space' and result['parts'] == ['env', 'stack', 'free_space']
    assert result['free_mb'] == 5000 and 'db' not in result and len(factory.calls) == 1


def test_only_what_is_asked_is_read(tmp_path, factory):
    result = collect(params(tmp_path, env=None, inspect_stack=False, min_free_mb=0, db=None), factory,
                     statvfs=lambda path: pytest.fail('no free-space reading was asked for'))
    assert result == {'stopped_after': None, 'parts': []} and factory.calls == []


def test_the_db_part_alone_still_reads_the_model_once(tmp_path, factory):
    one = dict(params(tmp_path)['db'], migration=None)
    result = collect(params(tmp_path, env=None, inspect_stack=False, min_free_mb=0, db=one), factory)
    assert result['parts'] == ['db'] and 'stack' not in result and 'migration_db' not in result
    assert len(factory.calls) == 1


def test_a_service_missing_from_the_model_fails_naming_the_known_ones(tmp_path, factory):
    with pytest.raises(StackError) as err:
        collect(params(tmp_path, services=['api', 'nosuch']), factory, statvfs=lambda path: Statvfs(5000))
    assert 'nosuch' in err.value.msg and 'known services' in err.value.msg


def test_a_missing_env_file_fails_with_the_env_file_error(tmp_path, factory):
    with pytest.raises(StackError) as err:
        collect(params(tmp_path, env={'path': str(tmp_path / 'nope'), 'required_keys': []}), factory)
    assert 'env file does not exist' in err.value.msg and factory.calls == []


def test_free_space_of_a_real_directory_and_of_a_missing_one(tmp_path):
    info = os.statvfs(str(tmp_path))
    assert free_mb(str(tmp_path)) == info.f_bavail * info.f_frsize // (1024 * 1024)
    with pytest.raises(StackError) as err:
        free_mb(str(tmp_path / 'gone'))
    assert err.value.msg.startswith('project_src=%s: cannot measure its free space' % (tmp_path / 'gone'))


def test_db_params_are_the_compose_options_with_the_db_options(tmp_path):
    out = db_params(params(tmp_path))
    assert out['service'] == 'api' and out['files'] == ['docker-compose.yml', 'docker-compose.vps.override.yml']
    assert not set(out) & {'env', 'inspect_stack', 'services', 'min_free_mb', 'db', 'revision', 'host'}


# /etc/os-release as Debian 12 and Ubuntu 24.04 ship it (the Ubuntu one trimmed), and an odd but valid one.
DEBIAN_12 = ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n'
             'VERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n')
UBUNTU_2404 = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n'
ODD = '# comment\n\nNAME="Tiny \\"Linux\\""\nVERSION=1\nID=tiny\n'


class Uname:
    release = '6.1.0-27-amd64'


@pytest.mark.parametrize('text,expected', [
    (DEBIAN_12, {'os': 'Debian GNU/Linux 12 (bookworm)', 'os_id': 'debian', 'os_version_id': '12', 'kernel': '6.1.0-27-amd64'}),
    (UBUNTU_2404, {'os': 'Ubuntu 24.04.1 LTS', 'os_id': 'ubuntu', 'os_version_id': '24.04', 'kernel': '6.1.0-27-amd64'}),
    (ODD, {'os': 'Tiny "Linux" 1', 'os_id': 'tiny', 'os_version_id': '', 'kernel': '6.1.0-27-amd64'}),
    ('', {'os': 'unknown', 'os_id': '', 'os_version_id': '', 'kernel': '6.1.0-27-amd64'}),
])
def test_host_facts_from_os_release(text, expected):
    assert host_facts(read=lambda path: text, uname=Uname) == expected
    assert parse_os_release(DEBIAN_12)['VERSION_CODENAME'] == 'bookworm'


def test_host_facts_fall_back_to_usr_lib_os_release():
    def read(path):
        if path == '/etc/os-release':
            raise FileNotFoundError(2, 'No such file or directory')
        return UBUNTU_2404
    assert host_facts(read=read, uname=Uname)['os'] == 'Ubuntu 24.04.1 LTS'


def test_revision_and_host_are_read_last_and_only_when_asked(tmp_path, factory):
    seen = []
    result = collect(params(tmp_path, revision=True, host=True), factory, statvfs=lambda path: Statvfs(5000),
                     run=lambda argv: seen.append(argv) or (0, 'abc\n', ''))
    assert result['parts'] == ['env', 'stack', 'free_space', 'db', 'revision', 'host']
    assert seen == [['git', '-C', '/tmp/tgopsut/split', 'rev-parse', 'HEAD']] and result['revision']['git_sha'] == 'abc'
    assert result['host']['kernel'] == os.uname().release
    stopped = collect(params(tmp_path, min_free_mb=6000, revision=True, host=True), factory, statvfs=lambda path: Statvfs(5000))
    assert stopped['stopped_after'] == 'free_space' and 'revision' not in stopped and 'host' not in stopped
