# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions answering "where does the database of a service really live?"."""

from __future__ import annotations

import posixpath
from urllib.parse import urlsplit

from ansible_collections.tgops.stack.plugins.module_utils.compose import StackError, known_services_message
from ansible_collections.tgops.stack.plugins.module_utils.docker_api import PROJECT_LABEL, SERVICE_LABEL, VOLUME_LABEL
from ansible_collections.tgops.stack.plugins.module_utils.mounts import covering_mount, describe_mounts, host_path

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
