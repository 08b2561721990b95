# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verdicts of the DB location guard, the daily check and the deploy health gate, as pure functions over gathered evidence."""

from __future__ import annotations

import datetime


def _ps_summary(container):
    if 'Service' not in container:
        return container
    return {'service': container.get('Service'), 'name': container.get('Name'), 'state': container.get('State'),
            'health': container.get('Health'), 'restart_count': 0}


def ps_verdict(containers, expected_services):
    """`docker compose ps` OK/FAIL: every expected service running, healthy where it has a healthcheck.

    ``containers`` are the summaries returned by compose_stack_info
    (service, name, state, health, restart_count), or the entries of `docker compose ps --format json` as
    community.docker.docker_compose_v2 returns them (Service, Name, State, Health; no restart count).
    """
    notes = []
    services = {}
    ok = True
    containers = [_ps_summary(c) for c in containers]
    for service in expected_services:
        mine = [c for c in containers if c.get('service') == service]
        if not mine:
            ok = False
            services[service] = 'no container'
            notes.append('%s: no container' % service)
            continue
        parts = []
        for c in mine:
            state = c.get('state') or 'unknown'
            health = c.get('health') or ''
            restarts = int(c.get('restart_count') or 0)
            text = state + (' (%s)' % health if health else '')
            if restarts:
                text += ', %d restarts' % restarts
                notes.append('%s restarted %d times' % (c.get('name', service), restarts))
            parts.append(text)
            if state != 'running' or health not in ('', 'healthy'):
                ok = False
                notes.append('%s is %s' % (c.get('name', service), text))
        services[service] = '; '.join(parts)
    return {'ok': ok, 'services': services, 'notes': notes}


# Container states after which waiting longer cannot turn the container healthy: Docker stopped it and its
# restart policy will not bring it back (a policy that restarts shows `restarting`, never `exited`).
STOPPED_STATES = ('exited', 'dead')
# Restarts since the rollout after which a container is a crash loop even when caught between two restarts.
CRASH_LOOP_RESTARTS = 2


def _container_text(container):
    state = container.get('state') or 'unknown'
    text = container.get('status') or state
    health = container.get('health') or ''
    if health and health not in text:
        text += ' (%s)' % health
    return text


def container_gate_verdict(container, restarts_before=0, crash_loop_restarts=CRASH_LOOP_RESTARTS):
    """Judge one container for the deploy gate: ``('ok' | 'waiting' | 'failed', reason)``.

    Terminal failures (``failed``), after which the gate stops waiting:

    - state ``exited`` or ``dead``: the process ended and Docker will not restart it;
    - state ``restarting`` with a restart count higher than before the rollout: the process crashed and Docker is
      backing off before the next attempt (a crash loop);
    - a restart count ``crash_loop_restarts`` or more above the one before the rollout, whatever the state: a
      crash loop caught between two restarts;
    - health ``unhealthy``: the image's own healthcheck failed its retries in a row.

    Not terminal (``waiting``): ``created``, ``running`` with health ``starting`` (the healthcheck has not decided
    yet, however many probes failed so far), ``restarting`` before the first restart was counted, ``paused``,
    ``removing``. ``ok``: ``running`` and healthy, or running without a healthcheck.
    """
    state = container.get('state') or 'unknown'
    health = container.get('health') or ''
    grown = int(container.get('restart_count') or 0) - int(restarts_before or 0)
    name = container.get('name') or container.get('service') or '?'
    text = _container_text(container)
    if state in STOPPED_STATES:
        return 'failed', '%s is %s' % (name, text)
    if state == 'restarting' and grown > 0:
        return 'failed', '%s is in a crash loop: %s, %d restart(s) since the rollout' % (name, text, grown)
    if grown >= crash_loop_restarts:
        return 'failed', '%s is in a crash loop: %d restarts since the rollout (now %s)' % (name, grown, text)
    if health == 'unhealthy':
        return 'failed', '%s is %s: its healthcheck failed' % (name, text)
    if state == 'running' and health in ('', 'healthy'):
        return 'ok', '%s is %s' % (name, text)
    return 'waiting', '%s is %s' % (name, text)


def gate_verdict(containers, expected_services, restarts_before=None, crash_loop_restarts=CRASH_LOOP_RESTARTS):
    """The deploy gate's reading of Docker: every expected service ok, or a terminal failure, or still waiting.

    ``containers`` are compose_stack_info summaries (service, name, id, state, health, status, restart_count);
    ``restarts_before`` maps container id -> restart count before the rollout (a container created by the
    rollout is absent and counts from 0). Returns ``ok`` (every expected service has containers, all ok),
    ``failed`` (at least one terminal failure: waiting longer is pointless), ``waiting`` (neither),
    ``services`` (one line per service) and ``notes`` (the terminal failures first, then what is still awaited).
    """
    restarts_before = restarts_before or {}
    services, failures, waits = {}, [], []
    all_ok = True
    for service in expected_services:
        mine = [c for c in containers or [] if c.get('service') == service]
        if not mine:
            all_ok = False
            services[service] = 'no container'
            waits.append('%s: no container' % service)
            continue
        texts = []
        for c in mine:
            verdict, reason = container_gate_verdict(c, restarts_before.get(c.get('id'), 0), crash_loop_restarts)
            texts.append(_container_text(c))
            if verdict == 'failed':
                failures.append(reason)
            elif verdict == 'waiting':
                waits.append(reason)
            all_ok = all_ok and verdict == 'ok'
        services[service] = '; '.join(texts)
    return {
        'ok': all_ok and not failures,
        'failed': bool(failures),
        'waiting': not failures and not all_ok,
        'services': services,
        'notes': failures + waits,
    }


def _or(value, fallback):
    return fallback if value in (None, '') else value


def db_guard_verdict(runtime, migration, engine='sqlite', db_service='', expected_volume='', migration_service='',
                     require_tables=False):
    """The DB location guard's decision from the two locations db_location_info found (runtime and migration).

    ``same_db``: SQLite - the migration service sees the same file in the same volume as the runtime service; Postgres -
    its DB_URL points at the stack's db service. ``ok`` also needs the runtime DB in the expected volume and, with
    ``require_tables``, none of the required tables missing. ``problems`` holds one message per failed check, in that
    order, each naming what was found and the fix; the run fails with them and changes nothing.
    """
    runtime = runtime or {}
    migration = migration or {}
    if engine == 'sqlite':
        same_db = runtime.get('volume_name') == migration.get('volume_name') and runtime.get('path') == migration.get('path')
    else:
        same_db = _or(migration.get('url_host'), '') == db_service
    where = "%s=%s" % (_or(runtime.get('path_variable'), 'the DB'), _or(runtime.get('path'), '?'))
    runtime_volume = _or(runtime.get('volume_name'), 'none')
    problems = []
    if not same_db:
        problems.append(
            "DB location guard: the runtime service '%s' uses %s in volume '%s', but the migration service '%s' would touch %s "
            "in volume '%s'. Migrations there would not reach the runtime DB (the split-volume incident). Make the migration "
            "service mount the volume '%s' at the same path, or fix stack_migration_service / stack_migration_compose_files. "
            "Nothing was changed."
            % (db_service, where, runtime_volume, migration_service, _or(migration.get('path'), _or(migration.get('url_host'), '?')),
               _or(migration.get('volume_name'), 'none'), _or(runtime.get('volume_name'), '?')))
    if not runtime.get('matches_expected'):
        problems.append(
            "DB location guard: %s of service '%s' lives in volume '%s', not in the expected '%s' (stack_db_volume). Check which "
            "volume holds the real data (playbooks/stack-info.yml) and fix stack_db_volume or the Compose file. Nothing was changed."
            % (where, db_service, runtime_volume, expected_volume))
    missing = list(runtime.get('missing_tables') or [])
    if require_tables and missing:
        problems.append(
            "DB location guard: the runtime DB %s in volume '%s' lacks the tables %s (stack_db_required_tables). Apply the "
            "migrations to this volume (playbooks/migrate.yml)." % (_or(runtime.get('path'), ''), runtime_volume, ', '.join(missing)))
    return {'ok': not problems, 'same_db': bool(same_db), 'runtime': runtime, 'migration': migration,
            'expected_volume': expected_volume, 'problems': problems}


def truncate_words(text, length=160, end='...', leeway=5):
    """Jinja's truncate filter (word boundary, leeway 5), for messages built outside Jinja."""
    text = str(text or '')
    if len(text) <= length + leeway:
        return text
    return text[:length - len(end)].rsplit(' ', 1)[0] + end


def daily_check_verdict(evidence, db_verdict, services, worker_services, bot_services, health_url='', max_age_hours=26,
                        now_ts=None, s3_bucket='', backup_targets=(), expected_volume=''):
    """The daily check's six verdicts from the evidence of daily_check_info and the guard's verdict.

    ``checks``: compose_ps, api_health, worker_logs, bot_logs, db_guard (OK/FAIL) and backup_created (YES/NO: a local
    archive the evidence found, or an S3 archive younger than ``max_age_hours``); ``services``: one line of state per
    service; ``notes``: what failed, each with its evidence; ``latest_backup``: the newest backup found ('' when none).
    """
    evidence = evidence or {}
    db_verdict = db_verdict or {}
    ps = ps_verdict((evidence.get('stack') or {}).get('containers') or [], services)
    health = evidence.get('health') or {}
    status = health.get('status')
    status = -1 if status is None else status
    health_ok = not health_url or str(status) == '200'
    logs = (evidence.get('logs') or {}).get('services') or {}
    missing_logs = [s for s in list(worker_services) + list(bot_services) if s not in logs]
    backups = evidence.get('backups') or {}
    local = [b.get('path') for b in backups.get('local') or []]
    s3 = backups.get('s3') or {}
    moment = datetime.datetime.fromtimestamp(now_ts, datetime.timezone.utc) if now_ts is not None else datetime.datetime.now(datetime.timezone.utc)
    cutoff = (moment - datetime.timedelta(hours=float(max_age_hours))).strftime('%Y-%m-%dT%H:%M:%S')
    fresh = sorted((a for a in s3.get('archives') or [] if (a.get('last_modified') or '') >= cutoff),
                   key=lambda a: a.get('last_modified') or '')
    found = local + ['s3://%s/%s' % (s3_bucket or '', a.get('key')) for a in fresh]
    checks = {
        'compose_ps': 'OK' if ps['ok'] else 'FAIL',
        'api_health': 'OK' if health_ok else 'FAIL',
        'worker_logs': 'OK' if all(logs.get(s, {}).get('ok') for s in worker_services) else 'FAIL',
        'bot_logs': 'OK' if all(logs.get(s, {}).get('ok') for s in bot_services) else 'FAIL',
        'backup_created': 'YES' if found else 'NO',
        'db_guard': 'OK' if db_verdict.get('ok') else 'FAIL',
    }
    notes = list(ps['notes'])
    if not health_ok:
        notes.append('API health: GET %s -> status %s %s' % (health_url, status, truncate_words(health.get('msg', ''))))
    notes += [entry.get('summary') for entry in logs.values() if not entry.get('ok')]
    notes += ['%s: no logs were read' % s for s in missing_logs]
    if not found:
        targets = ' or '.join(t for t in backup_targets if t) or 'any configured target (set stack_backup_local_dir)'
        notes.append('Backup: no backup younger than %s h in %s%s'
                     % (max_age_hours, targets, (' (S3: %s)' % s3.get('msg')) if s3.get('failed') else ''))
    if not db_verdict.get('ok'):
        runtime, migration = db_verdict.get('runtime') or {}, db_verdict.get('migration') or {}
        notes.append('DB location guard: runtime %s in %s, migration %s, expected %s, missing tables: %s'
                     % (_or(runtime.get('path'), '?'), _or(runtime.get('volume_name'), 'none'), _or(migration.get('volume_name'), 'none'),
                        expected_volume, ', '.join(runtime.get('missing_tables') or [])))
    return {'checks': checks, 'services': ps['services'], 'notes': notes, 'latest_backup': found[-1] if found else ''}
