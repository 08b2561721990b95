# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Evidence of the daily check, gathered concurrently in one module process.

Each piece of evidence is one callable; ``gather`` runs them on threads (they
wait on ``docker compose``, the Docker socket, HTTP and S3, not on the CPU) and
returns every result or error by name, so one slow probe costs its own time
once instead of a module start-up per probe.
"""

from __future__ import annotations

import fnmatch
import os
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.tgops.stack.plugins.module_utils import docker_api, journal
from ansible_collections.tgops.stack.plugins.module_utils.compose import resolve_paths
from ansible_collections.tgops.stack.plugins.module_utils.db_location import db_location
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.logs import DEFAULT_ERROR_PATTERNS, compile_patterns, scan_service, secrets_from_env_files
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject
from ansible_collections.tgops.stack.plugins.module_utils.stack import build_stack


def gather(probes, max_workers=6):
    """Run ``probes`` ({name: callable}) concurrently; return {name: (value, exception or None)}."""
    results = {}
    if not probes:
        return results
    with ThreadPoolExecutor(max_workers=min(max_workers, len(probes))) as pool:
        futures = dict((name, pool.submit(func)) for name, func in probes.items())
        for name, future in futures.items():
            error = future.exception()
            results[name] = (None if error else future.result(), error)
    return results


def recent_files(paths, patterns, max_age_hours, now=None):
    """Files under ``paths`` (recursive) whose name matches one of ``patterns`` and that are younger than
    ``max_age_hours``, oldest first, as {path, mtime, size}. Missing directories yield nothing."""
    now = time.time() if now is None else now
    oldest = now - max_age_hours * 3600
    found = []
    for top in paths:
        for root, _dirs, files in os.walk(top):
            for name in files:
                if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
                    continue
                path = os.path.join(root, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue  # removed while we walked (retention running)
                if info.st_mtime >= oldest:
                    found.append({'path': path, 'mtime': info.st_mtime, 'size': info.st_size})
    return sorted(found, key=lambda f: (f['mtime'], f['path']))


def probe_http(url, timeout, opener):
    """GET ``url`` with ``opener(url, timeout=...)`` (ansible's open_url); never raises.

    Returns {url, status, msg, elapsed_s}: status is the HTTP status, or -1 when there was no HTTP answer
    (refused, timed out, DNS), as ansible.builtin.uri reports it.
    """
    started = time.time()
    result = {'url': url, 'status': -1, 'msg': ''}
    try:
        response = opener(url, timeout=timeout)
        result.update(status=response.getcode(), msg='OK (%s bytes)' % len(response.read()))
    except Exception as exc:  # pylint: disable=broad-except  # every failure is evidence, reported with its reason
        code = getattr(exc, 'code', None)
        if isinstance(code, int):
            result.update(status=code, msg='HTTP Error %s: %s' % (code, getattr(exc, 'reason', exc)))
        else:
            result['msg'] = 'Status code was -1 and not [200]: Request failed: %s' % (getattr(exc, 'reason', None) or exc)
    result['elapsed_s'] = round(time.time() - started, 3)
    return result


def argument_spec():
    """argument_spec of daily_check_info beyond the compose_project options and ``s3``."""
    return dict(
        db_service=dict(type='str', required=True),
        db_engine=dict(type='str', choices=['sqlite', 'postgres'], default='sqlite'),
        db_path_variable=dict(type='str'),
        db_expected_volume=dict(type='str'),
        db_required_tables=dict(type='list', elements='str', default=[]),
        db_url_variable=dict(type='str', default='DB_URL'),
        db_user=dict(type='str'),
        db_name=dict(type='str'),
        migration_service=dict(type='str'),
        migration_files=dict(type='list', elements='path', default=[]),
        health_url=dict(type='str'),
        health_timeout=dict(type='int', default=10),
        log_services=dict(type='list', elements='str', default=[]),
        log_tail=dict(type='int', default=120),
        error_patterns=dict(type='list', elements='str', default=list(DEFAULT_ERROR_PATTERNS)),
        allow_patterns=dict(type='list', elements='str', default=[]),
        max_matches=dict(type='int', default=10),
        backup_dirs=dict(type='list', elements='path', default=[]),
        backup_patterns=dict(type='list', elements='str', default=['*.tar.zst', '*.tar.gz']),
        backup_max_age_hours=dict(type='int', default=26),
        journal_path=dict(type='path'),
    )


def db_params(params, service, use_running_container, required_tables):
    """The db_location parameters for ``service`` from daily_check_info's parameters."""
    return {'service': service, 'engine': params['db_engine'], 'path_variable': params['db_path_variable'], 'path': None,
            'expected_volume': params['db_expected_volume'], 'required_tables': required_tables,
            'use_running_container': use_running_container, 'url_variable': params['db_url_variable'],
            'db_user': params['db_user'], 'db_name': params['db_name'],
            # quick_check reads the whole file: once, for the runtime DB; the migration DB only needs its location.
            'quick_check': use_running_container}


def list_s3(options):
    """The S3 listing as s3_backup_info returns it, or {failed, msg} when the store cannot be listed."""
    from ansible_collections.tgops.stack.plugins.module_utils import s3_store  # boto3 is imported only when S3 is listed
    if s3_store.BOTO3_IMPORT_ERROR:
        return {'failed': True, 'msg': 'boto3 is not installed on the managed host; install python3-boto3 or drop the s3 option'}
    try:
        client = s3_store.client_from_params(options)
        s3_store.s3_call(options['endpoint_url'], options['bucket'], 'bucket check', s3_store.ensure_bucket_reachable, client, options['bucket'])
        return s3_store.s3_call(options['endpoint_url'], options['bucket'], 'listing', s3_store.list_archives, client, options['bucket'],
                                options['prefix'])
    except StackError as exc:
        return {'failed': True, 'msg': exc.msg}


def scan_logs(params, errors, allows, secrets):
    client = docker_api.connect(params['docker_host'])
    try:
        services = dict((name, scan_service(client, params['project_name'], name, params['log_tail'], errors, allows, secrets,
                                            params['max_matches']))
                        for name in params['log_services'])
    except Exception as exc:  # pylint: disable=broad-except  # SDK errors become a clear message
        raise StackError('Reading logs of project %s failed: %s' % (params['project_name'], exc)) from exc
    return {'ok': all(v['ok'] for v in services.values()), 'services': services}


def collect(module, opener):
    """Everything daily_check_info returns (but duration_s); raises StackError or ValueError."""
    params = module.params
    errors = compile_patterns(params['error_patterns'], 'error_patterns')
    allows = compile_patterns(params['allow_patterns'], 'allow_patterns')
    _src, _files, env_files = resolve_paths(params['project_src'], params['files'], params['env_files'])
    secrets = secrets_from_env_files(env_files, 'env_files')

    def runtime():
        project = ComposeProject(module)
        stack = build_stack(project.config, project.project_src, project.files, project.env_files, project.volume_attrs, project.container_attrs)
        db, message = db_location(project, db_params(params, params['db_service'], True, params['db_required_tables']))
        db['guard_message'] = message
        return stack, db

    def migration():
        mig = dict(params, files=list(params['files'] or []) + list(params['migration_files']), profiles=['*'])
        db, message = db_location(ComposeProject(module, params=mig), db_params(params, params['migration_service'], False, []))
        db['guard_message'] = message
        return db

    probes = {'runtime': runtime}
    if params['migration_service']:
        probes['migration'] = migration
    if params['log_services']:
        probes['logs'] = lambda: scan_logs(params, errors, allows, secrets)
    if params['health_url']:
        probes['health'] = lambda: probe_http(params['health_url'], params['health_timeout'], opener)
    if params['s3']:
        probes['s3'] = lambda: list_s3(params['s3'])
    results = gather(probes)
    for name in ('runtime', 'migration', 'logs', 'health', 's3'):
        error = results.get(name, (None, None))[1]
        if error is not None:
            raise error
    try:
        journal_result = journal.read_journal(params['journal_path']) if params['journal_path'] else {}
    except (journal.JournalError, OSError) as exc:
        raise ValueError('journal_path=%s: cannot read the journal (%s)' % (params['journal_path'], exc)) from exc
    stack, runtime_db = results['runtime'][0]
    return {
        'stack': stack,
        'runtime_db': runtime_db,
        'migration_db': results.get('migration', ({}, None))[0],
        'logs': results.get('logs', ({'ok': True, 'services': {}}, None))[0],
        'health': results.get('health', ({}, None))[0],
        'backups': {'local': recent_files(params['backup_dirs'], params['backup_patterns'], params['backup_max_age_hours']),
                    's3': results.get('s3', ({}, None))[0]},
        'journal': journal_result,
    }
