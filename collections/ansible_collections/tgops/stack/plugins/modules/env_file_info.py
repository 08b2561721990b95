#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: env_file_info
short_description: Report the keys of a dotenv file (never the values), duplicates, missing keys and the file mode
version_added: 0.1.0
description:
  - Parses a dotenv file as Compose reads it (comments, C(export) prefix, single and double quotes, multi-line quoted values,
    empty values) and reports key names and facts about them.
  - Values are never returned, not even in error messages; invalid lines are reported by number only.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  path:
    description:
      - Path of the env file on the managed host.
    type: path
    required: true
  required_keys:
    description:
      - Keys that must be present; the absent ones are returned in RV(env.missing_keys).
      - The module does not fail on missing keys; assert on RV(env.missing_keys).
    type: list
    elements: str
    default: []
  expected_mode:
    description:
      - The most permissive acceptable file mode, in octal. RV(env.mode_ok) is V(true) when the file grants nothing beyond it
        (V(0400) passes for V(0600), V(0644) does not).
    type: str
    default: '0600'
  must_exist:
    description:
      - Fail when the file does not exist. With V(false), a missing file returns RV(env.exists=false).
    type: bool
    default: true
  public_keys:
    description:
      - Keys whose values are not secret (such as C(QUIET_HOURS) or C(TZ)) and are returned in RV(public_values).
      - Only these values leave the host; name no key that holds a secret.
    type: list
    elements: str
    default: []
seealso:
  - module: tgops.stack.compose_stack_info
"""

EXAMPLES = r"""
- name: Check the production env file
  tgops.stack.env_file_info:
    path: /opt/mytgtodoist/.env.prod
    required_keys: [DB_PATH, BOT_TOKEN]
  register: env_info

- name: Env file is complete and private
  ansible.builtin.assert:
    that:
      - env_info.env.missing_keys | length == 0
      - env_info.env.empty_keys | intersect(['DB_PATH', 'BOT_TOKEN']) | length == 0
      - env_info.env.mode_ok
    fail_msg: >-
      missing {{ env_info.env.missing_keys }}, empty {{ env_info.env.empty_keys }},
      mode {{ env_info.env.mode }} (expected at most {{ env_info.env.expected_mode }})
"""

RETURN = r"""
public_values:
  description: Values of O(public_keys) (C(null) for a key the file lacks); empty without O(public_keys).
  returned: success
  type: dict
  sample: {QUIET_HOURS: 23:00-07:00, TZ: Europe/Kyiv}
env:
  description: Facts about the env file. Never contains a value (see RV(public_values) for the keys named in O(public_keys)).
  returned: success
  type: dict
  contains:
    path:
      description: Absolute path.
      type: str
      sample: /opt/mytgtodoist/.env.prod
    exists:
      description: Whether the file exists (always V(true) unless O(must_exist=false)).
      type: bool
    keys:
      description: Keys, sorted and unique.
      type: list
      elements: str
      sample: [BOT_TOKEN, DB_PATH]
    duplicates:
      description: Keys assigned more than once (the last assignment wins).
      type: list
      elements: str
      sample: []
    missing_keys:
      description: O(required_keys) that are not in the file.
      type: list
      elements: str
      sample: []
    empty_keys:
      description: Keys whose (last) value is empty.
      type: list
      elements: str
      sample: [SENTRY_DSN]
    mode:
      description: File mode in octal.
      type: str
      sample: '0600'
    expected_mode:
      description: O(expected_mode) normalized to four octal digits.
      type: str
      sample: '0600'
    mode_ok:
      description: Whether RV(env.mode) grants nothing beyond O(expected_mode); C(null) when the file does not exist.
      type: bool
    owner:
      description: Owner user name (or uid when it has no name).
      type: str
      sample: root
    line_count:
      description: Number of lines.
      type: int
      sample: 12
    invalid_lines:
      description: Line numbers (1-based) that are not comments, blank or C(KEY=value); never their content.
      type: list
      elements: int
      sample: [7]
"""

from ansible.module_utils.basic import AnsibleModule


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_pairs
from ansible_collections.tgops.stack.plugins.module_utils.env_file import env_file_report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            required_keys=dict(type='list', elements='str', default=[], no_log=False),
            expected_mode=dict(type='str', default='0600'),
            must_exist=dict(type='bool', default=True),
            public_keys=dict(type='list', elements='str', default=[], no_log=False),
        ),
        supports_check_mode=True,
    )
    try:
        env = env_file_report(module.params['path'], module.params['required_keys'], module.params['expected_mode'],
                              module.params['must_exist'])
    except StackError as exc:
        module.fail_json(msg=exc.msg)
    else:
        public = {}
        if module.params['public_keys'] and env.get('exists', True):
            pairs = dict(read_env_pairs(module.params['path']))
            public = dict((key, pairs.get(key)) for key in module.params['public_keys'])
        module.exit_json(changed=False, env=env, public_values=public)


if __name__ == '__main__':
    main()
