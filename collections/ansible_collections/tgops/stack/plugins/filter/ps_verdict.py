# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ps_verdict
short_description: The C(docker compose ps) verdict of the daily check
version_added: 0.1.0
description:
  - OK when every expected service has a running container, healthy where it has a healthcheck; restart counts are noted.
options:
  _input:
    description:
      - The C(containers) list returned by M(tgops.stack.compose_stack_info), or the C(containers) list returned by
        M(community.docker.docker_compose_v2) (C(docker compose ps) entries, which carry no restart count).
    type: list
    elements: dict
    required: true
  services:
    description: The services that must run.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Judge docker compose ps
  ansible.builtin.set_fact:
    ps: "{{ stack.stack.containers | tgops.stack.ps_verdict(['worker', 'api', 'telegram-bot']) }}"
"""

RETURN = r"""
_value:
  description: C(ok), C(services) (one line of state per service) and C(notes) (what failed, restart counts).
  type: dict
"""

from ansible_collections.tgops.stack.plugins.module_utils.verdicts import ps_verdict


class FilterModule:
    """Daily check verdict filters."""

    def filters(self):
        return {'ps_verdict': ps_verdict}
