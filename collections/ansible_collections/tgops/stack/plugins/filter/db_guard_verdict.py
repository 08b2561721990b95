# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: db_guard_verdict
short_description: The DB location guard's decision from the runtime and the migration DB locations
version_added: 0.1.0
description:
  - C(same_db) - SQLite, the migration service sees the same file in the same volume as the runtime service;
    Postgres, the migration's DB_URL host is the stack's db service.
  - C(ok) - C(same_db), the runtime DB in the expected volume, and (with O(require_tables)) no required table missing.
  - C(problems) - one message per failed check, naming what was found and the fix.
options:
  _input:
    description: The runtime service's C(db) result of M(tgops.stack.db_location_info).
    type: dict
    required: true
  migration:
    description: The migration service's C(db) result of M(tgops.stack.db_location_info).
    type: dict
    required: true
  engine:
    description: The DB engine.
    type: str
    choices: [sqlite, postgres]
    default: sqlite
  db_service:
    description: The service holding (SQLite) or running (Postgres) the DB.
    type: str
    default: ""
  expected_volume:
    description: The volume key the DB must live in (C(stack_db_volume)), for the message.
    type: str
    default: ""
  migration_service:
    description: The service that runs the migrations, for the message.
    type: str
    default: ""
  require_tables:
    description: Count missing required tables as a failure.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Summarise the guard verdict
  ansible.builtin.set_fact:
    verdict: "{{ runtime.db | tgops.stack.db_guard_verdict(migration.db, engine='sqlite', db_service='api') }}"
"""

RETURN = r"""
_value:
  description: C(ok), C(same_db), C(problems) (list of messages), and the C(runtime), C(migration) and C(expected_volume) it judged.
  type: dict
"""

from ansible_collections.tgops.stack.plugins.module_utils.verdicts import db_guard_verdict


class FilterModule:
    """DB location guard verdict filter."""

    def filters(self):
        return {'db_guard_verdict': db_guard_verdict}
