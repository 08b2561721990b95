# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: human_time
short_description: A timestamp as a person reads it in an ops journal heading (2026-11-30 13:04)
version_added: 0.1.0
description:
  - Turns the compact stamps of archive names (C(20261130T130445Z)) and ISO-8601 times (C(2026-11-30T13:04:45Z)) into
    C(2026-11-30 13:04). Anything else is returned unchanged.
options:
  _input:
    description: The timestamp.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show when the backup ran
  ansible.builtin.debug:
    msg: "{{ '20261130T130445Z' | tgops.stack.human_time }} UTC"
"""

RETURN = r"""
_value:
  description: C(YYYY-MM-DD HH:MM), or the input when it is no known timestamp.
  type: str
"""

from ansible_collections.tgops.stack.plugins.module_utils.journal import human_time


class FilterModule:
    """Journal time filter."""

    def filters(self):
        return {'human_time': human_time}
