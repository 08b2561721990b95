# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: daily_check_verdict
short_description: The daily check's six verdicts from its evidence
version_added: 0.1.0
description:
  - C(checks) - compose_ps, api_health, worker_logs, bot_logs, db_guard (C(OK)/C(FAIL)) and backup_created (C(YES)/C(NO),
    a local archive found or an S3 archive younger than O(max_age_hours)).
  - C(notes) - what failed, each with its evidence; C(services) - one line of state per service; C(latest_backup).
options:
  _input:
    description: The result of M(tgops.stack.daily_check_info).
    type: dict
    required: true
  db_verdict:
    description: The guard's verdict (filter P(tgops.stack.db_guard_verdict#filter)).
    type: dict
    required: true
  services:
    description: The services that must run.
    type: list
    elements: str
    required: true
  worker_services:
    description: Services judged as "Worker logs".
    type: list
    elements: str
    required: true
  bot_services:
    description: Services judged as "Bot logs".
    type: list
    elements: str
    required: true
  health_url:
    description: The API health URL; empty means the check passes without one.
    type: str
    default: ""
  max_age_hours:
    description: An S3 archive must be younger than this to count.
    type: float
    default: 26
  now_ts:
    description: The moment of the check (epoch seconds); default now.
    type: float
  s3_bucket:
    description: The bucket, to name S3 archives.
    type: str
    default: ""
  backup_targets:
    description: The targets searched, named in the note when no backup was found.
    type: list
    elements: str
    default: []
  expected_volume:
    description: The expected DB volume key, for the guard's note.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Judge the checks
  ansible.builtin.set_fact:
    verdict: >-
      {{ evidence | tgops.stack.daily_check_verdict(guard, services=['api', 'worker'], worker_services=['worker'],
         bot_services=['telegram-bot'], health_url='http://127.0.0.1:8101/health') }}
"""

RETURN = r"""
_value:
  description: C(checks), C(services), C(notes) and C(latest_backup).
  type: dict
"""

from ansible_collections.tgops.stack.plugins.module_utils.verdicts import daily_check_verdict


class FilterModule:
    """Daily check verdict filter."""

    def filters(self):
        return {'daily_check_verdict': daily_check_verdict}
