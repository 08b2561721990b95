# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.db_location import (
    container_env,
    guard_message,
    locate_db,
    migration_params,
    parse_db_url,
    postgres_credentials,
    probe_postgres,
    probe_sqlite,
    psql_args,
    running_container,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


@pytest.fixture
def split(fixture):
    return fixture('split_config.json'), fixture('volumes_all.json')


def test_running_container_and_env(fixture):
    containers = fixture('split_containers.json')
    api = running_container(containers, 'api')
    assert api['Name'] == '/tgopsutdeploy-api-1'
    assert container_env(api, 'DB_PATH') == '/data/organizer.db'
    assert container_env(api, 'DB') is None
    assert running_container(fixture('naming_containers.json'), 'tool') is None  # exited


def test_locate_sqlite_running_container(split, fixture):
    config, volumes = split
    db, host, container = locate_db(config, volumes, fixture('split_containers.json'), 'api', expected_volume='db_data')
    assert container['Name'] == '/tgopsutdeploy-api-1'
    assert db['source'] == 'running container tgopsutdeploy-api-1'
    assert db['path'] == '/data/organizer.db' and db['path_variable'] == 'DB_PATH'
    assert db['mount'] == {'type': 'volume', 'volume_key': 'db_data', 'volume_name': 'tgopsutdeploy_db_data',
                           'source': '/var/lib/docker/volumes/tgopsutdeploy_db_data/_data', 'target': '/data', 'read_only': False}
    assert db['matches_expected'] is True
    assert host == '/var/lib/docker/volumes/tgopsutdeploy_db_data/_data/organizer.db'
    assert locate_db(config, volumes, fixture('split_containers.json'), 'api', expected_volume='tgopsutdeploy_db_data')[0]['matches_expected']


def test_locate_split_volume_incident(split, fixture):
    """The 2026-02-22 incident: the worker runs on runtime_data while the model (and the API) use db_data."""
    config, volumes = split
    db, host, _container = locate_db(config, volumes, fixture('split_drift_containers.json'), 'worker', expected_volume='db_data')
    assert db['volume_name'] == 'tgopsutdeploy_runtime_data'
    assert db['mount']['volume_key'] == 'runtime_data'  # from the volume's compose label, it is not in the model
    assert db['matches_expected'] is False
    assert host.startswith('/var/lib/docker/volumes/tgopsutdeploy_runtime_data/_data/')
    model_db, _host, container = locate_db(config, volumes, fixture('split_drift_containers.json'), 'worker', expected_volume='db_data',
                                           use_running_container=False)
    assert container is None and model_db['source'] == 'compose model' and model_db['matches_expected'] is True


def test_locate_explicit_path_overrides_variable(split):
    config, volumes = split
    db, host, _container = locate_db(config, volumes, [], 'api', path='/data/other.db')
    assert db['path'] == '/data/other.db' and host.endswith('/tgopsutdeploy_db_data/_data/other.db')
    assert db['matches_expected'] is None


def test_locate_not_on_any_mount(split, fixture):
    config, volumes = split
    with pytest.raises(StackError) as exc:
        locate_db(config, volumes, fixture('split_containers.json'), 'telegram-bot')
    assert exc.value.msg == (
        "DB_PATH=/data/organizer.db is not on any mount of service telegram-bot (running container tgopsutdeploy-telegram-bot-1): "
        "mounts are none; the DB would live in the container's writable layer and be lost on recreate; mount a volume at /data "
        "or fix DB_PATH")
    with pytest.raises(StackError, match=r'path=/srv/x.db is not on any mount of service api \(compose model\): mounts are '
                                         r'/app/canon \(bind /tmp/tgopsut/split/canon, ro\), /data \(volume db_data\);.*or fix path$'):
        locate_db(config, volumes, [], 'api', path='/srv/x.db')


def test_locate_variable_missing(split):
    config, volumes = split
    with pytest.raises(StackError, match='^SQLITE_FILE is not set in the environment of service api'):
        locate_db(config, volumes, [], 'api', path_variable='SQLITE_FILE')


def test_locate_unknown_service(split):
    config, volumes = split
    with pytest.raises(StackError, match='^service=ghost is not in the Compose model of project tgopsutdeploy; known services: '
                                         'api, telegram-bot, worker \\(a service behind an inactive profile'):
        locate_db(config, volumes, [], 'ghost')


def test_locate_bind_mount_matches_host_path(split):
    config, volumes = split
    db, host, _container = locate_db(config, volumes, [], 'api', path='/app/canon/x.db', expected_volume='/tmp/tgopsut/split/canon')
    assert db['volume_name'] is None and db['mount']['type'] == 'bind' and db['mount']['read_only'] is True
    assert db['matches_expected'] is True and host == '/tmp/tgopsut/split/canon/x.db'


def test_locate_model_volume_not_created(split):
    config, _volumes = split
    db, host, _container = locate_db(config, [], [], 'api')
    assert db['volume_name'] == 'tgopsutdeploy_db_data' and db['mount']['source'] is None and host is None


def test_locate_postgres(fixture):
    config, volumes, containers = fixture('pg_config.json'), fixture('volumes_all.json'), fixture('pg_containers.json')
    db, host, container = locate_db(config, volumes, containers, 'db', engine='postgres', expected_volume='pgdata')
    assert db['path_variable'] == 'PGDATA' and db['path'] == '/var/lib/postgresql/data/pgdata'
    assert db['mount']['target'] == '/var/lib/postgresql/data' and db['volume_name'] == 'tgopsutsprint_pgdata'
    assert db['matches_expected'] is True
    assert host == '/var/lib/docker/volumes/tgopsutsprint_pgdata/_data/pgdata'
    assert postgres_credentials(container, config, 'db') == ('sprint', 'sprintdb')
    assert postgres_credentials(container, config, 'db', 'admin', 'other') == ('admin', 'other')


def test_locate_postgres_default_pgdata(fixture):
    config = copy.deepcopy(fixture('pg_config.json'))
    del config['services']['db']['environment']['PGDATA']
    db, _host, _container = locate_db(config, fixture('volumes_all.json'), [], 'db', engine='postgres')
    assert db['path'] == '/var/lib/postgresql/data' and db['source'] == 'compose model'


def test_postgres_credentials_never_password(fixture):
    container = copy.deepcopy(fixture('pg_containers.json')[0])
    container['Config']['Env'] = [e for e in container['Config']['Env'] if not e.startswith(('POSTGRES_USER=', 'POSTGRES_DB='))]
    assert postgres_credentials(container, fixture('pg_config.json'), 'db') == ('postgres', 'postgres')


def test_guard_message():
    db = {'engine': 'sqlite', 'service': 'api', 'source': 'running container deploy-api-1', 'path_variable': 'DB_PATH',
          'path': '/data/organizer.db', 'expected_volume': 'db_data', 'matches_expected': False,
          'mount': {'type': 'volume', 'volume_key': 'runtime_data', 'volume_name': 'deploy_runtime_data', 'source': '/v', 'target': '/data',
                    'read_only': False},
          'exists': True, 'size_bytes': 8192, 'quick_check': 'ok', 'tables': ['schema_migrations'], 'required_tables': ['tasks'],
          'missing_tables': ['tasks'], 'revision': {'table': 'schema_migrations', 'column': 'version', 'value': 7}}
    assert guard_message(db) == (
        'DB_PATH=/data/organizer.db of service api (running container deploy-api-1) is in volume deploy_runtime_data (key runtime_data) '
        'mounted at /data; expected volume db_data: MISMATCH; the SQLite file exists (8192 bytes), quick_check ok, 1 tables, '
        'MISSING required tables: tasks, schema_migrations.version = 7.')
    db.update(exists=False, size_bytes=None, quick_check=None, tables=[], revision=None, expected_volume=None)
    assert guard_message(db).endswith('mounted at /data; the SQLite file does not exist, MISSING required tables: tasks.')


def test_postgres_client_service_reports_url_host(fixture):
    config, volumes = fixture('pg_config.json'), fixture('volumes_all.json')
    db, host, _container = locate_db(config, volumes, fixture('pg_containers.json'), 'sprint-bot', engine='postgres',
                                     path_variable='DB_PATH', use_running_container=False)
    assert host is None and db['mount'] is None
    assert (db['url_host'], db['url_port'], db['url_database'], db['url_user']) == ('db', None, 'sprintdb', 'sprint')
    assert 'pw-not-returned' not in repr(db)
    assert guard_message(db) == ('DB_URL of service sprint-bot (compose model) points at Postgres host db, port 5432, database sprintdb, '
                                 'user sprint; the service has no data directory.')


def test_postgres_server_ignores_unset_sqlite_variable(fixture):
    db, _host, _container = locate_db(fixture('pg_config.json'), fixture('volumes_all.json'), fixture('pg_containers.json'), 'db',
                                      engine='postgres', path_variable='DB_PATH')
    assert db['path_variable'] == 'PGDATA' and db['path'] == '/var/lib/postgresql/data/pgdata' and db['url_host'] is None


def test_parse_db_url():
    assert parse_db_url('postgresql+psycopg://u:secret@db:6543/app')['port'] == 6543
    assert 'secret' not in repr(parse_db_url('postgresql://u:secret@db/app'))
    assert parse_db_url('/data/x.db') is None and parse_db_url(None) is None


# --- facts about the located DB (was db_probe) ---

def pg_location(fixture):
    config, volumes, containers = fixture('pg_config.json'), fixture('volumes_all.json'), fixture('pg_containers.json')
    db, host, container = locate_db(config, volumes, containers, 'db', engine='postgres')
    return config, db, host, container


def test_probe_postgres_recorded_psql(fixture, tmp_path):
    config, db, _host, container = pg_location(fixture)
    (tmp_path / 'PG_VERSION').write_text('15\n')
    calls = []

    def run_docker(args):
        calls.append(args)
        out = fixture('pg_psql_alembic.txt') if 'alembic_version' in args[-1] and 'pg_tables' not in args[-1] else fixture('pg_psql_tables.txt')
        return ['docker'] + args, 0, out, ''

    probe_postgres(db, str(tmp_path), container, run_docker, config, ['users', 'tasks'])
    assert calls[0] == psql_args('tgopsutsprint-db-1', 'sprint', 'sprintdb', calls[0][-1])
    assert db['exists'] is True
    assert db['tables'] == ['alembic_version', 'splits', 'users']
    assert db['missing_tables'] == ['tasks']
    assert db['revision'] == {'table': 'alembic_version', 'column': 'version_num', 'value': '3f2a1b9c0d1e'}
    assert not any('PASSWORD' in ' '.join(c) for c in calls)


def test_probe_postgres_psql_failure(fixture):
    config, db, host, container = pg_location(fixture)
    stderr = 'psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  role "nobody" does not exist\n'
    with pytest.raises(StackError) as exc:
        probe_postgres(db, host, container, lambda args: (['docker'] + args, 2, '', stderr), config, [], db_user='nobody')
    assert exc.value.msg.startswith('psql in container tgopsutsprint-db-1 (user nobody, database sprintdb) failed: psql: error:')
    assert exc.value.details['rc'] == 2 and exc.value.details['cmd'][:3] == ['docker', 'exec', 'tgopsutsprint-db-1']


def test_probe_postgres_not_running(fixture):
    config, db, _host, _container = pg_location(fixture)
    probe_postgres(db, None, None, None, config, ['users'])
    assert db['exists'] is False and db['tables'] is None and db['missing_tables'] is None


def test_probe_sqlite_without_host_path():
    db = probe_sqlite({}, None, ['tasks'])
    assert db['exists'] is False and db['missing_tables'] == ['tasks']


def test_migration_params_see_the_migration_service_from_the_model_with_its_files_and_profiles():
    params = {'project_src': '/opt/todo', 'files': ['docker-compose.yml'], 'profiles': [], 'service': 'api',
              'engine': 'sqlite', 'path_variable': 'DB_PATH', 'expected_volume': 'db_data', 'required_tables': ['tasks'],
              'use_running_container': True, 'quick_check': True,
              'migration': {'service': 'migrate', 'extra_files': ['docker-compose.migrate.yml'], 'profiles': ['*']}}
    out = migration_params(params)
    assert out['service'] == 'migrate' and out['files'] == ['docker-compose.yml', 'docker-compose.migrate.yml']
    assert out['profiles'] == ['*'] and out['use_running_container'] is False and out['quick_check'] is False
    assert out['required_tables'] == [] and out['migration'] is None
    assert (out['engine'], out['path_variable'], out['expected_volume']) == ('sqlite', 'DB_PATH', 'db_data')
    assert params['files'] == ['docker-compose.yml'] and params['service'] == 'api', 'the runtime parameters are not changed'
