# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""db_location_info logic: locate the DB, then read facts about it (SQLite file on the host, Postgres via psql)."""

from __future__ import annotations

import os

from ansible_collections.tgops.stack.plugins.module_utils.compose import StackError
from ansible_collections.tgops.stack.plugins.module_utils.db_location import (
    container_name,
    guard_message,
    locate_db,
    postgres_credentials,
)
from ansible_collections.tgops.stack.plugins.module_utils.sqlite_probe import inspect_sqlite

PG_TABLES_SQL = "select tablename from pg_catalog.pg_tables where schemaname = current_schema() order by 1"
PG_REVISION_SQL = 'select version_num from alembic_version'


def psql_args(container, user, database, sql):
    return ['exec', container, 'psql', '-X', '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-tAc', sql]


def parse_psql_lines(stdout):
    return [line.strip() for line in (stdout or '').splitlines() if line.strip()]


def probe_postgres(db, host, container, run_docker, config, required_tables, db_user=None, db_name=None):
    """Fill ``db`` for Postgres: data dir on the host, and tables/alembic revision through psql when running."""
    db['exists'] = bool(host) and os.path.isfile(os.path.join(host, 'PG_VERSION')) if db['mount'] else None
    db['size_bytes'] = None
    db['quick_check'] = None
    db['required_tables'] = list(required_tables or [])
    db['tables'] = None
    db['missing_tables'] = None
    db['revision'] = None
    if container is None or db['mount'] is None:
        return db
    user, database = postgres_credentials(container, config, db['service'], db_user, db_name)
    name = container_name(container)
    cmd, rc, stdout, stderr = run_docker(psql_args(name, user, database, PG_TABLES_SQL))
    if rc != 0:
        raise StackError('psql in container %s (user %s, database %s) failed: %s; check db_user/db_name or POSTGRES_USER/POSTGRES_DB'
                         % (name, user, database, (stderr or stdout or '').strip()), cmd=cmd, rc=rc, stdout=stdout, stderr=stderr)
    db['tables'] = parse_psql_lines(stdout)
    db['missing_tables'] = [t for t in db['required_tables'] if t not in db['tables']]
    if 'alembic_version' in db['tables']:
        cmd, rc, stdout, stderr = run_docker(psql_args(name, user, database, PG_REVISION_SQL))
        if rc != 0:
            raise StackError('reading alembic_version in container %s failed: %s' % (name, (stderr or stdout or '').strip()),
                             cmd=cmd, rc=rc, stdout=stdout, stderr=stderr)
        versions = parse_psql_lines(stdout)
        db['revision'] = {'table': 'alembic_version', 'column': 'version_num', 'value': versions[0] if versions else None}
    return db


def probe_sqlite(db, host, required_tables, quick_check=True):
    facts = inspect_sqlite(host, required_tables, quick_check) if host else {
        'exists': False, 'size_bytes': None, 'quick_check': None, 'tables': [], 'required_tables': list(required_tables or []),
        'missing_tables': list(required_tables or []), 'revision': None}
    for key in ('exists', 'size_bytes', 'quick_check', 'tables', 'required_tables', 'missing_tables', 'revision'):
        db[key] = facts[key]
    return db


def db_location(project, params):
    """Everything db_location_info returns, from a ComposeProject and the module parameters."""
    db, host, container = locate_db(
        project.config, project.volume_attrs, project.container_attrs, params['service'], engine=params['engine'],
        path_variable=params['path_variable'], path=params['path'], expected_volume=params['expected_volume'],
        use_running_container=params['use_running_container'], url_variable=params['url_variable'])
    db['host_path'] = host
    if params['engine'] == 'postgres':
        probe_postgres(db, host, container, project.run_docker, project.config, params['required_tables'],
                       params['db_user'], params['db_name'])
    else:
        probe_sqlite(db, host, params['required_tables'], params.get('quick_check', True))
    return db, guard_message(db)
