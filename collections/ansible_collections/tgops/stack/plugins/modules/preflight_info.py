#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: preflight_info
short_description: The pre-flight's reads of a Compose stack in one call (env keys, model, free space, DB locations)
version_added: 0.2.0
description:
  - Reads, in this order and in one call, what the pre-flight of a change needs, each part as its single-purpose module
    returns it - the env file's keys (M(tgops.stack.env_file_info)), the Compose model joined with what exists in Docker
    (M(tgops.stack.compose_stack_info)), the free space on the filesystem of O(project_src), and where the runtime DB and
    the DB a migration would touch live (M(tgops.stack.db_location_info)).
  - One C(docker compose config) and one Docker listing serve both the model and the runtime DB; the migration's model
    (its extra files and profiles) is a second C(docker compose config).
  - Why a module of its own and not the four in a row - each module call costs a Python start on the host and a task
    on the controller (about 0.3-0.5 s); the pre-flight runs before every change, and some runs make it twice.
  - A part that refuses the run ends the reading there and is named in RV(stopped_after) - required env keys missing
    (the Compose model would fail on them with a less helpful message) or less free space than O(min_free_mb). The
    module itself does not fail on them; assert on the parts, as the C(tgops.stack.preflight) role does.
  - Values of the env file are never returned, not even in error messages.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  env:
    description:
      - Read the keys of this env file (RV(env)). Skipped when not set.
    type: dict
    suboptions:
      path:
        description: Path of the env file on the managed host.
        type: path
        required: true
      required_keys:
        description: Keys that must be present; the absent ones are in C(missing_keys) of RV(env) and end the reading.
        type: list
        elements: str
        default: []
  inspect_stack:
    description:
      - Return the Compose model joined with what exists in Docker (RV(stack)).
    type: bool
    default: true
  services:
    description:
      - With O(inspect_stack=true), services that must exist in the model; the module fails, listing the known services,
        when one is missing.
    type: list
    elements: str
    default: []
  min_free_mb:
    description:
      - Measure the free space of the filesystem of O(project_src) (RV(free_mb)); less than this ends the reading.
      - V(0) skips the measurement.
    type: int
    default: 0
  db:
    description:
      - Locate the runtime DB (RV(db)) and, with O(db.migration), the DB a migration would touch (RV(migration_db)),
        with the options of M(tgops.stack.db_location_info). Skipped when not set.
    type: dict
    suboptions:
      service:
        description: The runtime service whose view of the database is the truth.
        type: str
        required: true
      engine:
        description: Database engine.
        type: str
        choices: [sqlite, postgres]
        default: sqlite
      path_variable:
        description: Environment variable holding the DB path (SQLite) or the data directory (Postgres).
        type: str
      path:
        description: Explicit DB path inside the container; overrides O(db.path_variable).
        type: str
      expected_volume:
        description: Volume key or real volume name that should hold the DB (C(matches_expected) of RV(db)).
        type: str
      required_tables:
        description: Tables that must exist; the missing ones are in C(missing_tables) of RV(db).
        type: list
        elements: str
        default: []
      use_running_container:
        description: Use the running container of O(db.service) (its environment and real mounts) when there is one.
        type: bool
        default: true
      url_variable:
        description: With O(db.engine=postgres), environment variable holding the database URL.
        type: str
        default: DB_URL
      db_user:
        description: Postgres user for C(psql).
        type: str
      db_name:
        description: Postgres database for C(psql).
        type: str
      quick_check:
        description: Run C(PRAGMA quick_check) on a SQLite DB.
        type: bool
        default: true
      migration:
        description: Also locate the DB a migration run in another service would touch (RV(migration_db)).
        type: dict
        suboptions:
          service:
            description: The service the migration command runs in.
            type: str
            required: true
          extra_files:
            description: Compose files, relative to O(project_src), added after O(files) only for migrations.
            type: list
            elements: str
            default: []
          profiles:
            description: Profiles active for the migration service (V(*) for all).
            type: list
            elements: str
            default: ['*']
  revision:
    description:
      - Also read the git revision of O(project_src) (C(git rev-parse HEAD); git's own error line when it is not a usable
        checkout) and the sha256 of each of O(files) (RV(revision)), as the baseline snapshot records them.
    type: bool
    default: false
  host:
    description:
      - Also read the managed host's operating system (C(PRETTY_NAME) of C(/etc/os-release)) and kernel release
        (RV(host)), the two facts the baseline's Environment block records, without a C(setup) call.
    type: bool
    default: false
seealso:
  - module: tgops.stack.env_file_info
  - module: tgops.stack.compose_stack_info
  - module: tgops.stack.db_location_info
"""

EXAMPLES = r"""
- name: Read the env keys, the Compose model, free space and both DB locations
  tgops.stack.preflight_info:
    project_src: /opt/mytgtodoist
    project_name: deploy
    files: [docker-compose.yml, docker-compose.vps.override.yml]
    env_files: [.env.prod]
    env:
      path: /opt/mytgtodoist/.env.prod
      required_keys: [BOT_TOKEN, DB_PATH]
    services: [api, worker, telegram-bot]
    min_free_mb: 500
    db:
      service: api
      path_variable: DB_PATH
      expected_volume: db_data
      migration:
        service: migrate
        extra_files: [docker-compose.migrate.yml]
  register: preflight

- name: Refuse an env file without the required keys
  ansible.builtin.assert:
    that: preflight.env.missing_keys | length == 0
    fail_msg: "The env file lacks {{ preflight.env.missing_keys | join(', ') }}"

- name: Refuse unless the migration touches the DB the runtime uses
  vars:
    verdict: >-
      {{ preflight.db | tgops.stack.db_guard_verdict(preflight.migration_db, db_service='api', expected_volume='db_data',
                                                     migration_service='migrate') }}
  ansible.builtin.assert:
    that: verdict.ok
    fail_msg: "{{ verdict.problems | join(' ') }}"
"""

RETURN = r"""
env:
  description: As RV(tgops.stack.env_file_info#module:env); absent without O(env).
  returned: when O(env) is set
  type: dict
stack:
  description: As RV(tgops.stack.compose_stack_info#module:stack).
  returned: when O(inspect_stack=true) and the reading did not stop before it
  type: dict
free_mb:
  description: MiB available on the filesystem of O(project_src) (as C(df --output=avail)).
  returned: when O(min_free_mb) > 0 and the reading did not stop before it
  type: int
  sample: 18234
db:
  description: As RV(tgops.stack.db_location_info#module:db).
  returned: when O(db) is set and the reading did not stop before it
  type: dict
guard_message:
  description: As RV(tgops.stack.db_location_info#module:guard_message).
  returned: when O(db) is set and the reading did not stop before it
  type: str
migration_db:
  description: As RV(tgops.stack.db_location_info#module:migration_db).
  returned: when O(db.migration) is set and the reading did not stop before it
  type: dict
migration_guard_message:
  description: As RV(tgops.stack.db_location_info#module:migration_guard_message).
  returned: when O(db.migration) is set and the reading did not stop before it
  type: str
revision:
  description: The git revision of O(project_src) and the sha256 of each Compose file (C(null) for one that cannot be read).
  returned: when O(revision=true) and the reading did not stop before it
  type: dict
  contains:
    git_sha:
      description: C(git rev-parse HEAD), or C(null) when git failed.
      type: str
    git_error:
      description: "Git's own error line when it failed (C(fatal: not a git repository ...)), else C(null)."
      type: str
    files_sha256:
      description: Compose file (as given in O(files)) to its sha256.
      type: dict
  sample: {git_sha: 27ee123c0ffee1234567890abcdef1234567890a, git_error: null,
           files_sha256: {docker-compose.yml: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}
host:
  description: The managed host's operating system and kernel.
  returned: when O(host=true) and the reading did not stop before it
  type: dict
  contains:
    os:
      description: C(PRETTY_NAME) of C(/etc/os-release) (else C(NAME) and C(VERSION), else V(unknown)).
      type: str
    os_id:
      description: C(ID) of C(/etc/os-release).
      type: str
    os_version_id:
      description: C(VERSION_ID) of C(/etc/os-release).
      type: str
    kernel:
      description: The kernel release (C(uname -r)).
      type: str
  sample: {os: Debian GNU/Linux 12 (bookworm), os_id: debian, os_version_id: '12', kernel: 6.1.0-27-amd64}
parts:
  description: The parts read, in order (V(env), V(stack), V(free_space), V(db), V(revision), V(host)).
  returned: success
  type: list
  elements: str
  sample: [env, stack, free_space, db]
stopped_after:
  description: The part that ended the reading (V(env) or V(free_space)), C(null) when every part asked for was read.
  returned: success
  type: str
  sample: null
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.preflight import argument_spec, collect
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail


def main():
    spec = compose_project_argument_spec()
    spec.update(argument_spec())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        result = collect(module.params, lambda params: ComposeProject(module, params),
                         run=lambda argv: module.run_command(argv, handle_exceptions=False))
    except StackError as exc:
        fail(module, exc)
    else:
        module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
