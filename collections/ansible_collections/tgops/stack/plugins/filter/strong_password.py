# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: strong_password
short_description: Generate a random password that passes tgops.stack.password_problems
version_added: 0.1.0
description:
  - Letters and digits only (safe inside URLs such as C(DB_URL) and in env files without quoting), from the system's
    cryptographic random source, at least 20 characters.
options:
  _input:
    description: The length.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Generate the new database password
  ansible.builtin.set_fact:
    new_password: "{{ 32 | tgops.stack.strong_password }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The password.
  type: str
"""

from ansible_collections.tgops.stack.plugins.module_utils.secrets import strong_password


class FilterModule:
    """Password generator filter."""

    def filters(self):
        return {'strong_password': strong_password}
