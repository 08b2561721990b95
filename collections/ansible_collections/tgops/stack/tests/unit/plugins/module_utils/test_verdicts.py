# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import copy
import json
import os

from ansible_collections.tgops.stack.plugins.module_utils.stack import summarize_container
from ansible_collections.tgops.stack.plugins.module_utils.verdicts import ps_verdict

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
