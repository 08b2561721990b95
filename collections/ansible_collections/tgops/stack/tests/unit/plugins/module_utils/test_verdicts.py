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
