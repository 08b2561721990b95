#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: telegram_bot_info
short_description: Ask the Telegram Bot API who a bot token belongs to (getMe), without ever showing the token
version_added: 0.1.0
description:
  - Reads the bot token from an env file on the managed host (or takes it as O(token)), checks its format and calls
    C(getMe) on the Bot API base URL. Returns the bot id and username; the token never appears in the result, in error
    messages or in logs.
  - Custom because M(ansible.builtin.uri) would need the token in a task variable and its URL, where it leaks into
    verbose output and AWX artifacts.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
  - tgops.stack.telegram_token
options:
  api_base:
    description: Bot API base URL (the fake Bot API in tests).
    type: str
    default: https://api.telegram.org
  timeout:
    description: Seconds to wait for the Bot API.
    type: int
    default: 10
"""

EXAMPLES = r"""
- name: Check the bot answers getMe with the token of the env file
  tgops.stack.telegram_bot_info:
    env_file: /opt/mytgtodoist/.env.prod
    api_base: http://127.0.0.1:8081
  register: bot
"""

RETURN = r"""
ok:
  description: True when the token has the right format and getMe succeeded.
  returned: always
  type: bool
format_ok:
  description: Whether the token looks like C(<bot id>:<35 characters>).
  returned: always
  type: bool
bot_id:
  description: The bot id getMe returned (null on failure).
  returned: always
  type: int
token_bot_id:
  description: The bot id in the token itself (its part before the colon).
  returned: always
  type: int
username:
  description: The bot's username.
  returned: always
  type: str
status:
  description: HTTP status of getMe (-1 when unreachable).
  returned: always
  type: int
description:
  description: The Bot API's error description (token scrubbed), empty on success.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.telegram import bot_info, telegram_argument_spec, token_from_params


def main():
    argument_spec = telegram_argument_spec()
    argument_spec.update(
        api_base=dict(type='str', default='https://api.telegram.org'),
        timeout=dict(type='int', default=10),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_one_of=[('env_file', 'token')],
        supports_check_mode=True,
    )
    p = module.params
    token = token_from_params(p, lambda msg: module.fail_json(msg=msg))
    module.exit_json(changed=False, **bot_info(p['api_base'], token, p['timeout']))


if __name__ == '__main__':
    main()
