# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import copy
import json
import os

from ansible_collections.tgops.stack.plugins.module_utils.db_location import locate_db
from ansible_collections.tgops.stack.plugins.module_utils.stack import summarize_container
from ansible_collections.tgops.stack.plugins.module_utils.verdicts import daily_check_verdict, db_guard_verdict, ps_verdict, truncate_words
from jinja2 import Environment

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def _containers(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def test_recorded_running_stack_is_ok():
    attrs = _containers('split_containers.json')
    containers = [summarize_container(a) for a in attrs]
    services = sorted({c['service'] for c in containers})
    verdict = ps_verdict(containers, services)
    assert verdict['ok'] is True, verdict
    assert set(verdict['services']) == set(services)


def test_stopped_and_unhealthy_and_missing_services_fail_with_evidence():
    attrs = copy.deepcopy(_containers('split_containers.json'))
    attrs[0]['State']['Status'] = 'exited'
    attrs[0]['RestartCount'] = 3
    containers = [summarize_container(a) for a in attrs]
    services = sorted({c['service'] for c in containers}) + ['ghost']
    verdict = ps_verdict(containers, services)
    assert verdict['ok'] is False
    assert verdict['services']['ghost'] == 'no container'
    assert any('restarted 3 times' in n for n in verdict['notes'])
    assert any('exited' in n for n in verdict['notes'])


def test_compose_ps_entries_as_docker_compose_v2_returns_them():
    ps = _containers('pg_ps.json')  # recorded `docker compose ps --format json` of the sprint stack
    assert ps_verdict(ps, ['db', 'sprint-bot'])['ok'] is True
    ps = copy.deepcopy(ps)
    ps[0]['Health'] = 'unhealthy'
    verdict = ps_verdict(ps, ['db', 'sprint-bot', 'worker'])
    assert verdict['ok'] is False
    assert verdict['services']['db'] == 'running (unhealthy)' and verdict['services']['worker'] == 'no container'


def test_unhealthy_container_fails():
    containers = [{'service': 'api', 'name': 'deploy-api-1', 'state': 'running', 'health': 'unhealthy', 'restart_count': 0}]
    verdict = ps_verdict(containers, ['api'])
    assert verdict['ok'] is False
    assert verdict['services']['api'] == 'running (unhealthy)'


# -- the deploy gate -------------------------------------------------------------------------------------------
# gate_containers.json: `docker inspect` of projects/gate (one service per state), recorded ~12 s after `up -d`.

from ansible_collections.tgops.stack.plugins.module_utils.verdicts import container_gate_verdict, gate_verdict  # noqa: E402


def _gate():
    return {c['service']: c for c in (summarize_container(a) for a in _containers('gate_containers.json'))}


def test_recorded_states_are_judged_terminal_or_not():
    gate = _gate()
    expected = {
        'healthy': 'ok', 'nohealthcheck': 'ok', 'starting': 'waiting',
        'unhealthy': 'failed', 'crashloop': 'failed', 'exited': 'failed',
    }
    assert {s: container_gate_verdict(c)[0] for s, c in gate.items()} == expected
    assert gate['crashloop']['state'] == 'restarting' and gate['crashloop']['restart_count'] > 0
    assert gate['starting']['health'] == 'starting'


def test_reasons_name_the_evidence():
    gate = _gate()
    assert container_gate_verdict(gate['exited'])[1] == 'tgopsutgate-exited-1 is exited (code 2)'
    assert 'healthcheck failed' in container_gate_verdict(gate['unhealthy'])[1]
    assert 'crash loop' in container_gate_verdict(gate['crashloop'])[1]


def test_stack_with_a_terminal_failure_fails_without_waiting_for_the_others():
    gate = _gate()
    verdict = gate_verdict(list(gate.values()), ['healthy', 'starting', 'unhealthy'])
    assert verdict['failed'] is True and verdict['ok'] is False and verdict['waiting'] is False
    assert verdict['notes'][0].startswith('tgopsutgate-unhealthy-1 is running (unhealthy)')
    assert any('starting' in n for n in verdict['notes'][1:])
    assert verdict['services']['healthy'] == 'running (healthy)'


def test_starting_and_missing_services_are_waited_for():
    gate = _gate()
    verdict = gate_verdict([gate['healthy'], gate['starting']], ['healthy', 'starting', 'api'])
    assert verdict == {**verdict, 'ok': False, 'failed': False, 'waiting': True}
    assert 'api: no container' in verdict['notes']


def test_healthy_and_plain_running_services_pass():
    gate = _gate()
    verdict = gate_verdict(list(gate.values()), ['healthy', 'nohealthcheck'])
    assert verdict['ok'] is True and verdict['failed'] is False and verdict['notes'] == []


def test_restarts_count_from_before_the_rollout():
    crashloop = _gate()['crashloop']
    before = crashloop['restart_count']
    # A container kept by the rollout with restarts from before, running now: not a new crash.
    running = dict(crashloop, state='running', status='running')
    assert container_gate_verdict(running, restarts_before=before)[0] == 'ok'
    assert gate_verdict([running], ['crashloop'], restarts_before={crashloop['id']: before})['ok'] is True
    # Restarting, but no restart counted since the rollout yet (Docker backs off before counting): wait.
    restarting = dict(crashloop, restart_count=before)
    assert container_gate_verdict(restarting, restarts_before=before)[0] == 'waiting'
    # Caught running between two restarts after two crashes: a crash loop all the same.
    assert container_gate_verdict(dict(running, restart_count=before + 2), restarts_before=before)[0] == 'failed'
    assert container_gate_verdict(dict(running, restart_count=before + 1), restarts_before=before)[0] == 'ok'


def test_created_paused_and_dead_containers():
    base = {'service': 'api', 'name': 'deploy-api-1', 'restart_count': 0}
    assert container_gate_verdict(dict(base, state='created'))[0] == 'waiting'
    assert container_gate_verdict(dict(base, state='paused'))[0] == 'waiting'
    assert container_gate_verdict(dict(base, state='dead'))[0] == 'failed'
    assert container_gate_verdict(dict(base, state=None))[0] == 'waiting'


# -- the DB location guard, on locations found in the recorded split / split-drift projects ---------------------------

def _locations(containers_fixture, runtime_service, migration_service):
    config, volumes, containers = _containers('split_config.json'), _containers('volumes_all.json'), _containers(containers_fixture)
    runtime = locate_db(config, volumes, containers, runtime_service, expected_volume='db_data')[0]
    migration = locate_db(config, volumes, containers, migration_service, expected_volume='db_data', use_running_container=False)[0]
    return runtime, migration


def test_guard_passes_when_runtime_and_migration_see_the_same_file():
    runtime, migration = _locations('split_containers.json', 'api', 'worker')
    verdict = db_guard_verdict(runtime, migration, 'sqlite', 'api', 'db_data', 'worker', require_tables=False)
    assert verdict['ok'] is True and verdict['same_db'] is True and verdict['problems'] == [], verdict


def test_guard_refuses_the_split_volume_and_names_both_volumes_and_the_fix():
    # The worker's container runs on runtime_data while the Compose model (what a migration would use) says db_data.
    runtime, migration = _locations('split_drift_containers.json', 'worker', 'worker')
    verdict = db_guard_verdict(runtime, migration, 'sqlite', 'worker', 'db_data', 'worker')
    assert verdict['ok'] is False and verdict['same_db'] is False
    first, second = verdict['problems']
    assert "uses DB_PATH=/data/organizer.db in volume 'tgopsutdeploy_runtime_data'" in first, first
    assert "would touch /data/organizer.db in volume 'tgopsutdeploy_db_data'" in first, first
    assert "mount the volume 'tgopsutdeploy_runtime_data' at the same path" in first and first.endswith('Nothing was changed.')
    assert "not in the expected 'db_data' (stack_db_volume)" in second, second


def test_guard_counts_missing_tables_only_when_asked():
    runtime, migration = _locations('split_containers.json', 'api', 'worker')
    runtime = dict(runtime, missing_tables=['tasks'])
    assert db_guard_verdict(runtime, migration, 'sqlite', 'api', 'db_data', 'worker')['ok'] is True
    verdict = db_guard_verdict(runtime, migration, 'sqlite', 'api', 'db_data', 'worker', require_tables=True)
    assert verdict['ok'] is False and verdict['same_db'] is True
    assert verdict['problems'] == ["DB location guard: the runtime DB /data/organizer.db in volume 'tgopsutdeploy_db_data' lacks the "
                                   "tables tasks (stack_db_required_tables). Apply the migrations to this volume (playbooks/migrate.yml)."]


def test_guard_for_postgres_compares_the_db_url_host_with_the_db_service():
    runtime = {'path': None, 'volume_name': 'sprint_pg_data', 'matches_expected': True}
    assert db_guard_verdict(runtime, {'url_host': 'db'}, 'postgres', 'db')['ok'] is True
    verdict = db_guard_verdict(runtime, {'url_host': 'old-db'}, 'postgres', 'db', 'pg_data', 'sprint-bot')
    assert verdict['ok'] is False and "would touch old-db in volume 'none'" in verdict['problems'][0], verdict


# -- the daily check's verdicts, on the recorded split project's containers ------------------------------------------

NOW_TS = 1796083200.0  # 2026-12-01T00:00:00Z


def _evidence(**changes):
    containers = [summarize_container(a) for a in _containers('split_containers.json')]
    evidence = {
        'stack': {'containers': containers},
        'health': {'status': 200, 'msg': 'OK'},
        'logs': {'services': {'worker': {'ok': True, 'summary': 'worker: 0 errors in 120 lines'},
                              'telegram-bot': {'ok': True, 'summary': 'telegram-bot: 0 errors in 120 lines'}}},
        'backups': {'local': [{'path': '/var/backups/tgops/todo/todo-20261130T060000Z.tar.zst'}], 's3': {}},
    }
    evidence.update(changes)
    return evidence


def _services():
    return sorted({c['service'] for c in _evidence()['stack']['containers']})


def test_daily_check_all_green():
    runtime, migration = _locations('split_containers.json', 'api', 'worker')
    guard = db_guard_verdict(runtime, migration, 'sqlite', 'api', 'db_data', 'worker', require_tables=True)
    verdict = daily_check_verdict(_evidence(), guard, _services(), ['worker'], ['telegram-bot'], 'http://127.0.0.1:8101/health',
                                  26, NOW_TS)
    assert verdict['checks'] == {'compose_ps': 'OK', 'api_health': 'OK', 'worker_logs': 'OK', 'bot_logs': 'OK',
                                 'backup_created': 'YES', 'db_guard': 'OK'}, verdict
    assert verdict['notes'] == [] and verdict['latest_backup'].endswith('todo-20261130T060000Z.tar.zst')


def test_daily_check_red_names_each_failure_with_its_evidence():
    runtime, migration = _locations('split_drift_containers.json', 'worker', 'worker')
    guard = db_guard_verdict(runtime, migration, 'sqlite', 'worker', 'db_data', 'worker', require_tables=True)
    evidence = _evidence(
        health={'status': 503, 'msg': 'HTTP Error 503: Service Unavailable'},
        logs={'services': {'worker': {'ok': False, 'summary': 'worker: 3 errors in 120 lines: sqlite3.OperationalError: no such table'},
                           'telegram-bot': {'ok': True, 'summary': 'ok'}}},
        backups={'local': [], 's3': {'failed': True, 'msg': 'endpoint http://127.0.0.1:9 not reachable'}})
    verdict = daily_check_verdict(evidence, guard, _services(), ['worker'], ['telegram-bot'], 'http://127.0.0.1:8101/health', 26,
                                  NOW_TS, 'tgops-backups', ['/var/backups/tgops/todo', 's3://tgops-backups/todo'], 'db_data')
    assert verdict['checks'] == {'compose_ps': 'OK', 'api_health': 'FAIL', 'worker_logs': 'FAIL', 'bot_logs': 'OK',
                                 'backup_created': 'NO', 'db_guard': 'FAIL'}, verdict
    assert verdict['notes'] == [
        'API health: GET http://127.0.0.1:8101/health -> status 503 HTTP Error 503: Service Unavailable',
        'worker: 3 errors in 120 lines: sqlite3.OperationalError: no such table',
        'Backup: no backup younger than 26 h in /var/backups/tgops/todo or s3://tgops-backups/todo '
        '(S3: endpoint http://127.0.0.1:9 not reachable)',
        'DB location guard: runtime /data/organizer.db in tgopsutdeploy_runtime_data, migration tgopsutdeploy_db_data, expected db_data, '
        'missing tables: ',
    ]
    assert verdict['latest_backup'] == ''


def test_daily_check_counts_only_s3_archives_younger_than_the_limit():
    archives = [{'key': 'todo/todo-20261129T000000Z.tar.zst', 'last_modified': '2026-11-29T00:00:00Z'},  # 48 h old
                {'key': 'todo/todo-20261130T120000Z.tar.zst', 'last_modified': '2026-11-30T12:00:00Z'},
                {'key': 'todo/todo-20261130T060000Z.tar.zst', 'last_modified': '2026-11-30T06:00:00Z'}]
    evidence = _evidence(backups={'local': [], 's3': {'archives': archives}})
    verdict = daily_check_verdict(evidence, {'ok': True}, _services(), ['worker'], ['telegram-bot'], '', 26, NOW_TS, 'b')
    assert verdict['checks']['backup_created'] == 'YES'
    assert verdict['latest_backup'] == 's3://b/todo/todo-20261130T120000Z.tar.zst'
    verdict = daily_check_verdict(evidence, {'ok': True}, _services(), ['worker'], ['telegram-bot'], '', 6, NOW_TS, 'b', [''])
    assert verdict['checks']['backup_created'] == 'NO'
    assert verdict['notes'] == ['Backup: no backup younger than 6 h in any configured target (set stack_backup_local_dir)']


def test_truncate_words_matches_jinja():
    env = Environment()
    for text in ('short', 'word ' * 40, 'x' * 200, 'a ' * 82):
        assert truncate_words(text, 160) == env.from_string('{{ t | truncate(160) }}').render(t=text), text
