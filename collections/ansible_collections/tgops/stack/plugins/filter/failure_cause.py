# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: failure_cause
short_description: The real cause of a failed task in one line
version_added: 0.1.0
description:
  - Reads a failed task's result (C(ansible_failed_result) in a rescue, or a registered result) and returns one line
    naming the cause - a specific C(msg), else the command's own first error line from stderr (then stdout), else
    its last output line - with C((rc=N)) appended when the command exited non-zero.
  - A task that failed only because its command exited non-zero has no C(msg); this filter is what keeps such a
    failure from reading as "Unknown error" in messages and journal entries.
options:
  _input:
    description: The task result.
    type: dict
    required: true
  default:
    description: What to say when the result names nothing.
    type: str
    default: the task failed without a message
"""

EXAMPLES = r"""
- name: Fail with the real cause
  ansible.builtin.fail:
    msg: "Restore failed at {{ ansible_failed_task.name }}: {{ ansible_failed_result | tgops.stack.failure_cause }}"
"""

RETURN = r"""
_value:
  description: One line, at most 400 characters.
  type: str
"""

from ansible_collections.tgops.stack.plugins.module_utils.failures import failure_cause


class FilterModule:
    """Failure cause filter."""

    def filters(self):
        return {'failure_cause': failure_cause}
