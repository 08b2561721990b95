# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: password_problems
short_description: Why a password is too weak for a database role (an empty list when it is fine)
version_added: 0.1.0
description:
  - Rules - at least O(min_length) characters, lower case, upper case and digits, no white space, no character repeated
    4 times in a row. The result names the rules broken, never the password.
options:
  _input:
    description: The password.
    type: str
    required: true
  min_length:
    description: Minimum length.
    type: int
    default: 20
"""

EXAMPLES = r"""
- name: Refuse a weak password
  ansible.builtin.assert:
    that: new_password | tgops.stack.password_problems | length == 0
  no_log: true
"""

RETURN = r"""
_value:
  description: The rules the password breaks.
  type: list
  elements: str
"""

from ansible_collections.tgops.stack.plugins.module_utils.secrets import password_problems


class FilterModule:
    """Password strength filter."""

    def filters(self):
        return {'password_problems': password_problems}
