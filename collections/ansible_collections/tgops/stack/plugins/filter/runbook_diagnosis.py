# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: runbook_diagnosis
short_description: The most likely on-call runbook for the evidence of a diagnose sweep
version_added: 0.1.0
description:
  - Orders the findings by urgency (wrong database, bot down or crash-looping, getUpdates conflicts, getMe failing,
    health failing, notifications held or stuck, no verified backup) and names the runbook of the first one.
options:
  _input:
    description:
      - Evidence, keys C(health_ok), C(bot_running), C(bot_restarts), C(bot_conflicts), C(getme_ok), C(db_guard_ok),
        C(missing_tables), C(quiet_active), C(queue_pending), C(worker_consuming), C(latest_backup_ok), C(disk_free_pct),
        C(mem_available_mb); missing keys count as unknown.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Name the runbook to run
  ansible.builtin.set_fact:
    diagnosis: "{{ evidence | tgops.stack.runbook_diagnosis }}"
"""

RETURN = r"""
_value:
  description: C(healthy), C(runbook) (null when healthy), C(findings) (runbook and reason each), C(notes) (disk, memory).
  type: dict
"""

from ansible_collections.tgops.stack.plugins.module_utils.runbook import diagnose


class FilterModule:
    """Diagnosis filter."""

    def filters(self):
        return {'runbook_diagnosis': diagnose}
