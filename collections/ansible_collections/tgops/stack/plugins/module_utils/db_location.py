# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""db_location_info's logic: where the database of a service really lives (pure functions over the Compose model and
Docker's mounts), then facts about it (the SQLite file read on the host, Postgres through psql in its container)."""

from __future__ import annotations

import os
import posixpath
from urllib.parse import urlsplit

from ansible_collections.tgops.stack.plugins.module_utils.compose import known_services_message
from ansible_collections.tgops.stack.plugins.module_utils.docker_api import PROJECT_LABEL, SERVICE_LABEL, VOLUME_LABEL
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.mounts import covering_mount, describe_mounts, host_path
from ansible_collections.tgops.stack.plugins.module_utils.sqlite_probe import inspect_sqlite

ONEOFF_LABEL = 'com.docker.compose.oneoff'
NUMBER_LABEL = 'com.docker.compose.container-number'
DEFAULT_PATH_VARIABLE = {'sqlite': 'DB_PATH', 'postgres': 'PGDATA'}
DEFAULT_PGDATA = '/var/lib/postgresql/data'
DEFAULT_URL_VARIABLE = 'DB_URL'


def parse_db_url(value):
    """host, port, database and user of a database URL; the password is dropped."""
    if not value or '://' not in value:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    return {'scheme': parts.scheme, 'host': parts.hostname, 'port': port, 'database': parts.path.lstrip('/') or None,
            'user': parts.username}


def _labels(attrs):
    return (attrs.get('Config') or {}).get('Labels') or {}


def container_name(attrs):
    return (attrs.get('Name') or '').lstrip('/')


def running_container(container_attrs, service):
    """The running, non one-off container of ``service`` with the lowest container number, or None."""
    candidates = []
    for attrs in container_attrs:
        labels = _labels(attrs)
        if labels.get(SERVICE_LABEL) != service or labels.get(ONEOFF_LABEL, 'False') == 'True':
            continue
        if not (attrs.get('State') or {}).get('Running'):
            continue
        try:
            number = int(labels.get(NUMBER_LABEL, '0'))
        except ValueError:
            number = 0
        candidates.append((number, container_name(attrs), attrs))
    candidates.sort(key=lambda item: item[:2])
    return candidates[0][2] if candidates else None


def container_env(attrs, name):
    """Value of one variable of a container's Config.Env, or None. Only the requested variable is read."""
    prefix = name + '='
    for item in (attrs.get('Config') or {}).get('Env') or []:
        if item.startswith(prefix):
            return item[len(prefix):]
    return None


def model_env(config, service, name):
    value = ((config['services'].get(service) or {}).get('environment') or {}).get(name)
    return None if value is None else str(value)


def volume_key_for_name(config, volume_attrs, name):
    """Model key of a real volume name; for a volume outside the model, its compose label when it is of this project."""
    for key, spec in (config.get('volumes') or {}).items():
        if (spec or {}).get('name') == name:
            return key
    for attrs in volume_attrs or []:
        if attrs.get('Name') == name:
            labels = attrs.get('Labels') or {}
            if labels.get(PROJECT_LABEL) == config['name']:
                return labels.get(VOLUME_LABEL)
    return None


def mounts_of_container(config, volume_attrs, attrs):
    """Real mounts of a container as {type, volume_key, volume_name, source (host path), target, read_only}."""
    result = []
    for mount in attrs.get('Mounts') or []:
        name = (mount.get('Name') or None) if mount.get('Type') == 'volume' else None
        result.append({
            'type': mount.get('Type'),
            'volume_key': volume_key_for_name(config, volume_attrs, name) if name else None,
            'volume_name': name,
            'source': mount.get('Source'),
            'target': mount.get('Destination'),
            'read_only': not mount.get('RW', True),
        })
    return result


def mounts_of_model(config, volume_attrs, service):
    """Mounts the model gives a service, same shape; ``source`` is the volume's mountpoint when it exists."""
    mountpoints = dict((a.get('Name'), a.get('Mountpoint')) for a in volume_attrs or [])
    result = []
    for entry in (config['services'].get(service) or {}).get('volumes') or []:
        vtype = entry.get('type', 'volume')
        key = entry.get('source') if vtype == 'volume' else None
        name = ((config.get('volumes') or {}).get(key) or {}).get('name') if key else None
        result.append({
            'type': vtype,
            'volume_key': key,
            'volume_name': name,
            'source': mountpoints.get(name) if vtype == 'volume' else entry.get('source'),
            'target': entry.get('target'),
            'read_only': bool(entry.get('read_only', False)),
        })
    return result


def locate_db(config, volume_attrs, container_attrs, service, engine='sqlite', path_variable=None, path=None,
              expected_volume=None, use_running_container=True, url_variable=DEFAULT_URL_VARIABLE):
    """Resolve the DB path of ``service`` to the mount covering it. Raises StackError when nothing covers it.

    Returns the ``db`` dict without the facts read from the file/server, plus ``host_path`` (host view of
    the path, None when unknown) and ``container`` (attributes of the running container used, or None).
    """
    if service not in config['services']:
        raise StackError('service=%s is not in the Compose model of project %s; known services: %s (a service behind an inactive '
                         'profile is not in the model: set profiles, for example profiles=[*])'
                         % (service, config['name'], known_services_message(config)))
    path_variable = path_variable or DEFAULT_PATH_VARIABLE[engine]
    container = running_container(container_attrs, service) if use_running_container else None
    if container is not None:
        source = 'running container %s' % container_name(container)

        def getenv(name):
            return container_env(container, name)
        mounts = mounts_of_container(config, volume_attrs, container)
        workdir = (container.get('Config') or {}).get('WorkingDir') or '/'
    else:
        source = 'compose model'

        def getenv(name):
            return model_env(config, service, name)
        mounts = mounts_of_model(config, volume_attrs, service)
        workdir = (config['services'][service] or {}).get('working_dir') or '/'
    value = getenv(path_variable)
    url = parse_db_url(getenv(url_variable)) if engine == 'postgres' and url_variable else None

    if path:
        db_path = path
    elif value:
        db_path = value
    elif engine == 'postgres':
        # A Postgres client service may carry DB_PATH-like variables for SQLite; the server's data dir is PGDATA.
        pgdata = getenv('PGDATA')
        if pgdata:
            path_variable, db_path = 'PGDATA', pgdata
        else:
            path_variable, db_path = 'PGDATA (default)', DEFAULT_PGDATA
    else:
        raise StackError('%s is not set in the environment of service %s (%s); set it in the env file or the model, '
                         'or pass the path option (or path_variable if the app uses another variable)' % (path_variable, service, source))
    if not posixpath.isabs(db_path):
        db_path = posixpath.normpath(posixpath.join(workdir, db_path))

    what = 'path=%s' % db_path if path else '%s=%s' % (path_variable, db_path)
    mount = covering_mount(db_path, mounts)
    if mount is None and url is not None and not path:
        # A Postgres client (for example the migration service): it has no data directory, only a URL.
        db = {
            'engine': engine, 'service': service, 'source': source, 'path_variable': path_variable, 'path': None, 'mount': None,
            'volume_name': None, 'expected_volume': expected_volume, 'matches_expected': None, 'url_variable': url_variable,
            'url_host': url['host'], 'url_port': url['port'], 'url_database': url['database'], 'url_user': url['user'],
        }
        return db, None, container
    if mount is None:
        store = 'data directory' if engine == 'postgres' else 'DB'
        raise StackError('%s is not on any mount of service %s (%s): mounts are %s; the %s would live in the container\'s writable '
                         'layer and be lost on recreate; mount a volume at %s or fix %s'
                         % (what, service, source, describe_mounts(mounts), store, posixpath.dirname(db_path) if engine == 'sqlite' else db_path,
                            'path' if path else path_variable))

    matches = None
    if expected_volume:
        matches = expected_volume in [v for v in (mount['volume_key'], mount['volume_name'], mount['source']) if v]
    db = {
        'engine': engine,
        'service': service,
        'source': source,
        'path_variable': path_variable,
        'path': db_path,
        'mount': dict(mount),
        'volume_name': mount['volume_name'],
        'expected_volume': expected_volume,
        'matches_expected': matches,
    }
    if engine == 'postgres':
        db.update(url_variable=url_variable, url_host=(url or {}).get('host'), url_port=(url or {}).get('port'),
                  url_database=(url or {}).get('database'), url_user=(url or {}).get('user'))
    host = host_path(db_path, mount['target'], mount['source']) if mount.get('source') else None
    return db, host, container


def postgres_credentials(container, config, service, db_user=None, db_name=None):
    """(user, database) for psql: options first, else POSTGRES_USER / POSTGRES_DB. POSTGRES_PASSWORD is never read."""
    def lookup(name):
        if container is not None:
            return container_env(container, name)
        return model_env(config, service, name)
    user = db_user or lookup('POSTGRES_USER') or 'postgres'
    return user, db_name or lookup('POSTGRES_DB') or user


def guard_message(db):
    """One sentence summarizing a ``db`` result."""
    mount = db['mount']
    if mount is None:
        return '%s of service %s (%s) points at Postgres host %s, port %s, database %s, user %s; the service has no data directory.' % (
            db['url_variable'], db['service'], db['source'], db['url_host'], db['url_port'] or 5432, db['url_database'], db['url_user'])
    if mount.get('volume_name'):
        where = 'volume %s (key %s)' % (mount['volume_name'], mount.get('volume_key') or 'not in the model')
    else:
        where = '%s mount of %s' % (mount.get('type'), mount.get('source'))
    text = '%s=%s of service %s (%s) is in %s mounted at %s%s' % (
        db['path_variable'], db['path'], db['service'], db['source'], where, mount['target'], ' read-only' if mount.get('read_only') else '')
    if db.get('expected_volume'):
        text += '; expected volume %s: %s' % (db['expected_volume'], 'MATCH' if db['matches_expected'] else 'MISMATCH')
    kind = 'Postgres data directory' if db['engine'] == 'postgres' else 'SQLite file'
    if db.get('exists') is False:
        text += '; the %s does not exist' % kind
    elif db.get('exists'):
        text += '; the %s exists' % kind
        if db.get('size_bytes') is not None:
            text += ' (%s bytes)' % db['size_bytes']
        if db.get('quick_check') is not None:
            text += ', quick_check %s' % db['quick_check']
    if db.get('tables') is not None and (db.get('tables') or db.get('exists')):
        text += ', %d tables' % len(db['tables'])
    if db.get('missing_tables'):
        text += ', MISSING required tables: %s' % ', '.join(db['missing_tables'])
    elif db.get('required_tables') and db.get('missing_tables') is not None:
        text += ', required tables present'
    revision = db.get('revision')
    if revision:
        text += ', %s.%s = %s' % (revision.get('table'), revision.get('column'), revision.get('value'))
    return text + '.'


# ---------------------------------------------------------------------------
# facts about the located DB (SQLite file on the host, Postgres via psql): db_location_info's logic
# ---------------------------------------------------------------------------

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


def db_location_argument_spec():
    """argument_spec of db_location_info beyond the compose_project options (also option ``db`` of preflight_info)."""
    return dict(
        service=dict(type='str', required=True),
        engine=dict(type='str', choices=['sqlite', 'postgres'], default='sqlite'),
        path_variable=dict(type='str'),
        path=dict(type='str'),
        expected_volume=dict(type='str'),
        required_tables=dict(type='list', elements='str', default=[]),
        use_running_container=dict(type='bool', default=True),
        url_variable=dict(type='str', default='DB_URL'),
        db_user=dict(type='str'),
        db_name=dict(type='str'),
        quick_check=dict(type='bool', default=True),
        migration=dict(type='dict', options=dict(
            service=dict(type='str', required=True),
            extra_files=dict(type='list', elements='str', default=[]),
            profiles=dict(type='list', elements='str', default=['*']),
        )),
    )


def locate_with_migration(project, params, project_factory):
    """db_location_info's result: the DB of ``params['service']`` and, with ``params['migration']``, the DB a migration
    would touch, in the model ``project_factory(migration_params(params))`` returns."""
    db, message = db_location(project, params)
    result = dict(db=db, guard_message=message)
    if params['migration']:
        second = migration_params(params)
        result['migration_db'], result['migration_guard_message'] = db_location(project_factory(second), second)
    return result


def migration_params(params):
    """The parameters that locate the DB a migration would touch (option ``migration`` of db_location_info).

    The same project seen with the migration's extra Compose files and profiles (a migration service often sits
    behind a profile), from the Compose model only (the service need not run) and without the data checks the
    runtime DB had already: only its location is compared.
    """
    migration = params['migration']
    out = dict(params)
    out.update(files=list(params['files'] or []) + list(migration.get('extra_files') or []),
               profiles=list(migration.get('profiles') or []), service=migration['service'],
               use_running_container=False, quick_check=False, required_tables=[], migration=None)
    return out
