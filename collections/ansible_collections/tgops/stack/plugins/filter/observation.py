# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: observation
short_description: Day number and green streak of the daily-check observation window
version_added: 0.1.0
description:
  - Takes the JSON-lines records of the ops journal (as returned by M(tgops.stack.journal_info)) and today's verdict, and
    returns the observation start date, today's day number, and the number of consecutive green days ending today.
  - The last record of a day wins, so re-running a check the same day replaces that day's verdict.
options:
  _input:
    description: Journal records; those of kind C(daily) with C(results.date) and C(results.ok) count.
    type: list
    elements: dict
    required: true
  today:
    description: Today's date, C(YYYY-MM-DD) or an ISO-8601 timestamp.
    type: str
    required: true
  today_ok:
    description: Today's verdict.
    type: bool
    required: true
  start:
    description: Force the observation start date instead of the first recorded daily check.
    type: str
"""

EXAMPLES = r"""
- name: Compute the day number and the streak
  ansible.builtin.set_fact:
    window: "{{ journal.records | tgops.stack.observation(today='2026-11-22', today_ok=true) }}"
"""

RETURN = r"""
_value:
  description: C(start), C(day), C(streak), C(green_days) and C(red_days).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.tgops.stack.plugins.module_utils.observation import observation


def _observation(records, today, today_ok, start=None):
    try:
        return observation(records, today, today_ok, start or None)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    """Observation window filters."""

    def filters(self):
        return {'observation': _observation}
