# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: gate_verdict
short_description: The deploy health gate's reading of the containers, with terminal failures
version_added: 0.1.0
description:
  - C(ok) when every expected service has containers that run, healthy where they have a healthcheck.
  - C(failed) as soon as one container is in a terminal bad state, after which waiting longer cannot help -
    C(exited) or C(dead); C(restarting) with a restart count higher than before the rollout; two or more restarts
    since the rollout whatever the state (a crash loop caught between restarts); health C(unhealthy).
  - C(waiting) otherwise - C(created), health C(starting) (however many probes failed so far), no container yet.
options:
  _input:
    description: The C(containers) list returned by M(tgops.stack.compose_stack_info).
    type: list
    elements: dict
    required: true
  services:
    description: The services that must run.
    type: list
    elements: str
    required: true
  restarts_before:
    description: Container id -> restart count before the rollout; containers absent from it count from 0.
    type: dict
    default: {}
  crash_loop_restarts:
    description: Restarts since the rollout that make a crash loop whatever the state.
    type: int
    default: 2
"""

EXAMPLES = r"""
- name: Wait until Docker reports every service healthy, or a terminal failure
  tgops.stack.compose_stack_info:
    project_src: /srv/todo
  register: gate
  until: not (gate.stack.containers | default([]) | tgops.stack.gate_verdict(['api', 'worker'])).waiting
  retries: 60
  delay: 1
"""

RETURN = r"""
_value:
  description: C(ok), C(failed) (a terminal failure), C(waiting), C(services) (one line of state per service)
    and C(notes) (terminal failures first, then what is still awaited).
  type: dict
"""

from ansible_collections.tgops.stack.plugins.module_utils.verdicts import gate_verdict


class FilterModule:
    """Deploy gate verdict filter."""

    def filters(self):
        return {'gate_verdict': gate_verdict}
