#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: daily_check_info
short_description: Gather all the evidence of the daily check of a Compose stack in one pass
version_added: 0.2.0
description:
  - Gathers, concurrently and in one module process, what M(tgops.stack.compose_stack_info), M(ansible.builtin.uri),
    M(tgops.stack.service_logs_info), M(ansible.builtin.find), M(tgops.stack.s3_backup_info), M(tgops.stack.db_location_info)
    (runtime and migration DB) and M(tgops.stack.journal_info) would return one by one.
  - This is a custom module because every module call costs a new Python process, its payload and its imports (about 0.4 s
    each on a 2-core VPS, before any work), and the daily check runs on every host every day; one call that waits on Compose,
    the Docker socket, HTTP and S3 at the same time costs the slowest probe once.
  - Read-only. A probe that cannot reach its target (health URL, S3) is evidence and reported with its reason; a Compose model that
    does not load, an unreachable Docker daemon or an unreadable journal fail the module, with C(cmd), C(rc), C(stdout) and
    C(stderr) when a command failed.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  db_service:
    description: The service whose DB is checked (the runtime DB), as in O(tgops.stack.db_location_info#module:service).
    type: str
    required: true
  db_engine:
    description: The DB engine.
    type: str
    choices: [sqlite, postgres]
    default: sqlite
  db_path_variable:
    description: The environment variable holding the SQLite path (for example V(DB_PATH)).
    type: str
  db_expected_volume:
    description: The Docker volume the DB must live in; C(matches_expected) in RV(runtime_db) says whether it does.
    type: str
  db_required_tables:
    description: Tables the runtime DB must hold; the missing ones are in C(missing_tables) of RV(runtime_db).
    type: list
    elements: str
    default: []
  db_url_variable:
    description: The environment variable holding the Postgres URL.
    type: str
    default: DB_URL
  db_user:
    description: Postgres user for the table probe (default from the service's environment).
    type: str
  db_name:
    description: Postgres database for the table probe (default from the service's environment).
    type: str
  migration_service:
    description:
      - The service that runs migrations. Its DB is located from the model only (every profile enabled, plus O(migration_files)),
        as a migration would start it. Omit to skip the migration DB.
    type: str
  migration_files:
    description: Compose files added after O(files) when the migration runs (for example a C(docker-compose.migrate.yml)).
    type: list
    elements: path
    default: []
  health_url:
    description: URL that must answer HTTP 200. Omit to skip the probe.
    type: str
  health_timeout:
    description: Seconds to wait for the health URL.
    type: int
    default: 10
  log_services:
    description: Services whose last log lines are scanned. Values of O(env_files) are redacted from the matches.
    type: list
    elements: str
    default: []
  log_tail:
    description: How many last lines of each container are scanned.
    type: int
    default: 120
  error_patterns:
    description: Regular expressions that make a log line an error.
    type: list
    elements: str
    default: ['Traceback \(most recent call last\)', '\bERROR\b', '\bCRITICAL\b', 'no such table']
  allow_patterns:
    description: Regular expressions of known-harmless lines that are not errors even when an error pattern matches.
    type: list
    elements: str
    default: []
  max_matches:
    description: At most this many matched lines are returned per service.
    type: int
    default: 10
  backup_dirs:
    description: Local directories searched (recursively) for recent backup archives.
    type: list
    elements: path
    default: []
  backup_patterns:
    description: File name patterns of backup archives.
    type: list
    elements: str
    default: ['*.tar.zst', '*.tar.gz']
  backup_max_age_hours:
    description: Local archives older than this are not listed (S3 archives are listed with their date; the caller judges them).
    type: int
    default: 26
  s3:
    description: The S3 backup store to list, as in M(tgops.stack.s3_backup_info). Omit to skip S3.
    type: dict
    suboptions:
      endpoint_url:
        description: S3 endpoint URL (omit for AWS).
        type: str
      bucket:
        description: The bucket.
        type: str
        required: true
      prefix:
        description: Key prefix of the stack's archives.
        type: str
        default: ''
      access_key:
        description: Access key ID (default from the environment or the AWS config).
        type: str
      secret_key:
        description: Secret access key (default from the environment or the AWS config).
        type: str
      region:
        description: Region.
        type: str
        default: us-east-1
      connect_timeout:
        description: Seconds to wait for a connection.
        type: int
        default: 5
      max_attempts:
        description: Attempts per request.
        type: int
        default: 2
  journal_path:
    description: The ops journal whose entries and JSON Lines records are returned. Omit to skip.
    type: path
requirements:
  - boto3 on the managed host when O(s3) is set.
seealso:
  - module: tgops.stack.compose_stack_info
  - module: tgops.stack.db_location_info
  - module: tgops.stack.service_logs_info
  - module: tgops.stack.s3_backup_info
  - module: tgops.stack.journal_info
"""

EXAMPLES = r"""
- name: Gather the evidence of the daily check
  tgops.stack.daily_check_info:
    project_src: /opt/mytgtodoist
    project_name: deploy
    files: [docker-compose.yml, docker-compose.vps.override.yml]
    env_files: [.env.prod]
    db_service: api
    db_path_variable: DB_PATH
    db_expected_volume: deploy_db_data
    db_required_tables: [alembic_version, users]
    migration_service: worker
    health_url: http://127.0.0.1:8000/health
    log_services: [worker, telegram-bot]
    backup_dirs: [/var/backups/mytgtodoist]
    s3:
      bucket: tgops-backups
      prefix: todo
    journal_path: /opt/mytgtodoist/OPS_JOURNAL.md
  register: evidence

- name: Show what failed
  ansible.builtin.debug:
    msg: "{{ evidence.logs.services.values() | rejectattr('ok') | map(attribute='summary') }}"
"""

RETURN = r"""
stack:
  description: As RV(tgops.stack.compose_stack_info#module:stack).
  returned: success
  type: dict
health:
  description: The health probe; absent keys when O(health_url) is not set.
  returned: success
  type: dict
  contains:
    url:
      description: The URL.
      type: str
    status:
      description: HTTP status, V(-1) when no HTTP answer came.
      type: int
      sample: 200
    msg:
      description: What happened, with the reason of a failure.
      type: str
    elapsed_s:
      description: Seconds the probe took.
      type: float
logs:
  description: As the return of M(tgops.stack.service_logs_info).
  returned: success
  type: dict
  contains:
    ok:
      description: Whether no service had an error line.
      type: bool
    services:
      description: Verdict per service (ok, matches, summary, containers).
      type: dict
backups:
  description: Recent archives.
  returned: success
  type: dict
  contains:
    local:
      description: Archives under O(backup_dirs) younger than O(backup_max_age_hours), oldest first (path, mtime, size).
      type: list
      elements: dict
    s3:
      description:
        - As the return of M(tgops.stack.s3_backup_info), plus C(failed) and C(msg) when the store could not be listed.
        - Empty when O(s3) is not set.
      type: dict
runtime_db:
  description: As RV(tgops.stack.db_location_info#module:db) for O(db_service), plus C(guard_message).
  returned: success
  type: dict
migration_db:
  description: As RV(tgops.stack.db_location_info#module:db) for O(migration_service); empty when it is not set.
  returned: success
  type: dict
journal:
  description: As the return of M(tgops.stack.journal_info) (exists, entries, records); empty when O(journal_path) is not set.
  returned: success
  type: dict
duration_s:
  description: Seconds the whole gathering took.
  returned: success
  type: float
  sample: 0.42
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils import daily_check

from ansible_collections.tgops.stack.plugins.module_utils.project import compose_project_argument_spec, fail
from ansible_collections.tgops.stack.plugins.module_utils.s3_options import s3_argument_spec


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(daily_check.argument_spec())
    argument_spec.update(s3=dict(type='dict', options=s3_argument_spec()))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    started = time.time()
    try:
        result = daily_check.collect(module, open_url)
    except StackError as exc:
        fail(module, exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    result['duration_s'] = round(time.time() - started, 3)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
