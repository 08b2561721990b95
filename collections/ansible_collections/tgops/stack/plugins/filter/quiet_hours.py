# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: quiet_hours
short_description: Whether a QUIET_HOURS window covers now in the stack's timezone
version_added: 0.1.0
description:
  - Reads C(HH:MM-HH:MM) (a window may wrap midnight, as C(23:00-07:00) does) and compares it with the current time in O(tz).
options:
  _input:
    description: The C(QUIET_HOURS) value.
    type: str
    required: true
  tz:
    description: The stack's timezone (its C(TZ)); UTC when empty or unknown.
    type: str
    default: UTC
"""

EXAMPLES = r"""
- name: Compare QUIET_HOURS with now
  ansible.builtin.set_fact:
    quiet: "{{ env.public_values.QUIET_HOURS | tgops.stack.quiet_hours(env.public_values.TZ) }}"
"""

RETURN = r"""
_value:
  description: C(active), C(ends_at) (local C(HH:MM) when active), C(local_time), C(tz) used, C(spec), C(error) for a malformed value.
  type: dict
"""

from ansible_collections.tgops.stack.plugins.module_utils.quiet_hours import quiet_hours_status


def quiet_hours(spec, tz='UTC'):
    return quiet_hours_status(spec, tz)


class FilterModule:
    """QUIET_HOURS filter."""

    def filters(self):
        return {'quiet_hours': quiet_hours}
