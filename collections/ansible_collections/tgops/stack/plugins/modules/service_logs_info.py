#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: service_logs_info
short_description: Scan the last log lines of Compose services for errors
version_added: 0.1.0
description:
  - Reads the last O(tail) lines of the logs of each container of the given services of a Compose project (as
    C(docker compose logs --tail N SERVICE) would) and gives an OK/FAIL verdict per service.
  - A line is an error when one of O(error_patterns) matches and none of O(allow_patterns) does.
  - Matched lines are returned as evidence with every value of O(redact_env_files) replaced by C(***), so a secret that
    leaked into a log line does not leak further into a journal or an AWX artifact.
  - This is a custom module because no well-kept module reads container logs; M(community.docker.docker_container_info)
    returns state, not logs.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  project_name:
    description:
      - The Compose project name (the C(com.docker.compose.project) label of its containers).
    type: str
    required: true
  services:
    description:
      - Services whose logs are scanned.
    type: list
    elements: str
    required: true
  tail:
    description:
      - How many of the last log lines of each container to scan.
    type: int
    default: 120
  error_patterns:
    description:
      - Python regular expressions that mark a line as an error.
    type: list
    elements: str
    default: ['Traceback \(most recent call last\)', '\bERROR\b', '\bCRITICAL\b', 'no such table']
  allow_patterns:
    description:
      - Python regular expressions; a line matching one of them is never an error.
    type: list
    elements: str
    default: []
  redact_env_files:
    description:
      - Env files whose values are redacted from the returned lines (values of 6 characters or more).
    type: list
    elements: path
    default: []
  max_matches:
    description:
      - How many matched lines to return per service (all are counted).
    type: int
    default: 10
  docker_host:
    description:
      - The Docker daemon to talk to; defaults to E(DOCKER_HOST) or the local socket.
    type: str
requirements:
  - Docker SDK for Python (C(docker) >= 5.0) on the managed host.
"""

EXAMPLES = r"""
- name: Scan the worker and bot logs
  tgops.stack.service_logs_info:
    project_name: deploy
    services: [worker, telegram-bot]
    tail: 120
    allow_patterns: ['ERROR calendar NOT_CONFIGURED']
    redact_env_files: [/opt/mytgtodoist/.env.prod]
  register: logs

- name: Fail when a service logged an error
  ansible.builtin.assert:
    that: logs.ok
"""

RETURN = r"""
ok:
  description: True when no scanned service logged an error and every service has a container.
  returned: always
  type: bool
services:
  description: The verdict per service.
  returned: always
  type: dict
  sample:
    worker:
      ok: false
      summary: "worker logs: 1 error line(s) in the last 120 lines; last: sqlite3.OperationalError: no such table: tasks"
      containers: [deploy-worker-1]
      lines_scanned: 120
      error_count: 1
      matches:
        - line_no: 87
          line: 'sqlite3.OperationalError: no such table: tasks'
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.docker_api import DOCKER_IMPORT_ERROR, connect
from ansible_collections.tgops.stack.plugins.module_utils.logs import compile_patterns, scan_service, secrets_from_env_files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            project_name=dict(type='str', required=True),
            services=dict(type='list', elements='str', required=True),
            tail=dict(type='int', default=120),
            error_patterns=dict(type='list', elements='str',
                                default=[r'Traceback \(most recent call last\)', r'\bERROR\b', r'\bCRITICAL\b', r'no such table']),
            allow_patterns=dict(type='list', elements='str', default=[]),
            redact_env_files=dict(type='list', elements='path', default=[]),
            max_matches=dict(type='int', default=10),
            docker_host=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    if DOCKER_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('docker'), exception=DOCKER_IMPORT_ERROR)
    p = module.params
    try:
        errors = compile_patterns(p['error_patterns'], 'error_patterns')
        allows = compile_patterns(p['allow_patterns'], 'allow_patterns')
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        secrets = secrets_from_env_files(p['redact_env_files'], 'redact_env_files')
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        client = connect(p['docker_host'])
        services = dict(
            (name, scan_service(client, p['project_name'], name, p['tail'], errors, allows, secrets, p['max_matches']))
            for name in p['services']
        )
    except StackError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # pylint: disable=broad-except  # SDK errors become a clear message
        module.fail_json(msg='Reading logs of project %s failed: %s' % (p['project_name'], exc), exception=traceback.format_exc())
    module.exit_json(changed=False, ok=all(v['ok'] for v in services.values()), services=services)


if __name__ == '__main__':
    main()
