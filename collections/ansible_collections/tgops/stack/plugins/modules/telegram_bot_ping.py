#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: telegram_bot_ping
short_description: Send C(/ping) to a bot through a Bot API that can inject updates, and wait for its answer
version_added: 0.1.0
description:
  - Proves the bot process is not only up but answering. It injects a C(/ping) message from a fresh chat id through the
    admin endpoint of a Bot API that offers one (C(POST <api_base>/_admin/updates), as the sandbox's fake Bot API
    does), then waits until the bot has sent a reply containing O(expect) to that chat.
  - The real C(api.telegram.org) has no way to send a message as a user, so in production use
    M(tgops.stack.telegram_bot_info) (C(getMe)) and leave this probe off; the roles only run it when
    C(stack_bot_ping) is true.
  - The token is read from the env file on the managed host and never appears in the result, errors or logs.
  - Custom because no collection module talks to a bot as a user, and M(ansible.builtin.uri) would expose the token.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.telegram_token
options:
  api_base:
    description: Base URL of the Bot API that offers C(/_admin/updates) and C(/_admin/messages).
    type: str
    required: true
  text:
    description: The message to send.
    type: str
    default: /ping
  expect:
    description: Text the reply must contain.
    type: str
    default: pong
  timeout:
    description: Seconds to wait for the reply.
    type: int
    default: 20
attributes:
  check_mode:
    support: full
    details:
      - The probe changes nothing on the managed host; it runs in check mode too and always reports no change.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - Always returns RV(ignore:changed=false).
"""

EXAMPLES = r"""
- name: The bot answers /ping through the fake Bot API
  tgops.stack.telegram_bot_ping:
    env_file: /opt/mytgtodoist/.env.prod
    api_base: http://127.0.0.1:8081
  register: ping
"""

RETURN = r"""
ok:
  description: True when the bot answered within O(timeout).
  returned: always
  type: bool
chat_id:
  description: The chat id the probe used.
  returned: always
  type: int
seconds:
  description: Seconds between sending the probe and seeing the answer (or giving up).
  returned: always
  type: float
reply:
  description: The bot's reply (message id, text, date), null when none came.
  returned: always
  type: dict
description:
  description: Why the probe failed (token scrubbed), empty on success.
  returned: always
  type: str
"""

import random

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.telegram import ping, telegram_argument_spec, token_from_params


def main():
    argument_spec = telegram_argument_spec()
    argument_spec.update(
        api_base=dict(type='str', required=True),
        text=dict(type='str', default='/ping'),
        expect=dict(type='str', default='pong'),
        timeout=dict(type='int', default=20),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_one_of=[('env_file', 'token')],
        supports_check_mode=True,
    )
    p = module.params
    token = token_from_params(p, lambda msg: module.fail_json(msg=msg))

    result = ping(p['api_base'], token, p['text'], p['expect'], p['timeout'], random.randint(10 ** 8, 10 ** 9))
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
