# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.compose import StackError
from ansible_collections.tgops.stack.plugins.module_utils.db_location import locate_db
from ansible_collections.tgops.stack.plugins.module_utils.db_probe import probe_postgres, probe_sqlite, psql_args


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
