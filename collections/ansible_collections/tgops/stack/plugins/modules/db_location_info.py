#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: db_location_info
short_description: Find where the database of a Compose service really lives, and read facts about it
version_added: 0.1.0
description:
  - Answers "which volume holds the database this service uses?" before a migration, a backup or a restore.
  - "SQLite: takes the DB path (O(path), else the value of O(path_variable) in the B(running) container's environment, else in the
    Compose model), resolves it to the mount that covers it (longest matching mount target; the running container's real mounts
    when it runs, else the model), and reads the file B(read-only) on the Docker host through the volume's mountpoint:
    size, C(PRAGMA quick_check), tables, missing required tables and the newest migration version
    (C(schema_migrations), C(alembic_version), ...)."
  - "Postgres: resolves the data directory (C(PGDATA), else C(/var/lib/postgresql/data)) the same way; when the container runs,
    lists the tables and reads C(alembic_version) with C(psql) through C(docker exec), as C(POSTGRES_USER) on C(POSTGRES_DB)
    (C(POSTGRES_PASSWORD) is never read)."
  - Fails when no mount covers the path, because the DB would then live in the container's writable layer.
  - The only environment value ever returned is the one of O(path_variable), which holds a path.
  - Must run on the Docker host, as a user that can read the volume's mountpoint (usually root).
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  service:
    description:
      - The runtime service whose view of the database is the truth (for example the API, not the migration job).
    type: str
    required: true
  engine:
    description:
      - Database engine.
    type: str
    choices: [sqlite, postgres]
    default: sqlite
  path_variable:
    description:
      - Environment variable holding the DB path (SQLite) or the data directory (Postgres).
      - Defaults to V(DB_PATH) for O(engine=sqlite) and V(PGDATA) for O(engine=postgres).
      - With O(engine=postgres), when the variable is not set, C(PGDATA) and then V(/var/lib/postgresql/data) are used.
    type: str
  path:
    description:
      - Explicit DB path (SQLite file or Postgres data directory) inside the container; overrides O(path_variable).
      - A relative path is taken relative to the container's working directory.
    type: str
  expected_volume:
    description:
      - Volume key (for example V(db_data)) or real volume name (for example V(deploy_db_data)) that should hold the DB.
      - The result is RV(db.matches_expected); the module does not fail on a mismatch, assert on it.
    type: str
  required_tables:
    description:
      - Tables that must exist; the missing ones are returned in RV(db.missing_tables).
    type: list
    elements: str
    default: []
  use_running_container:
    description:
      - Use the running container of O(service) (its environment and real mounts) when there is one.
      - When V(false), or when no container of the service runs, the Compose model is used.
    type: bool
    default: true
  url_variable:
    description:
      - With O(engine=postgres), environment variable holding the database URL (for example V(postgresql://user:pw@db:5432/app)).
      - Its host, port, database and user (never the password) are returned as RV(db.url_host) and friends.
      - A service with such a URL but no mount covering the data directory (a client such as the migration service) is reported
        with RV(db.mount=null) instead of failing.
    type: str
    default: DB_URL
  db_user:
    description:
      - Postgres user for C(psql); default C(POSTGRES_USER) of the container, else V(postgres).
    type: str
  db_name:
    description:
      - Postgres database for C(psql); default C(POSTGRES_DB) of the container, else the user name.
    type: str
  quick_check:
    description:
      - Run C(PRAGMA quick_check) on a SQLite DB. It reads the whole file (about 0.6 s per GiB); set V(false) when only
        the location matters, for example for the DB a migration would touch when the runtime DB is checked already.
    type: bool
    default: true
  migration:
    description:
      - Also locate the DB that a migration run in another service would touch, in the same call (RV(migration_db)), in
        the project with O(migration.extra_files) added and O(migration.profiles) active, read from the Compose model
        (the migration service need not run), its location only (no table or quick check).
      - The DB location guard compares RV(db) and RV(migration_db) (filter M(tgops.stack.db_guard_verdict)).
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
seealso:
  - module: tgops.stack.compose_stack_info
"""

EXAMPLES = r"""
- name: Where does the API's SQLite DB live?
  tgops.stack.db_location_info:
    project_src: /opt/mytgtodoist
    project_name: deploy
    files: [docker-compose.yml, docker-compose.vps.override.yml]
    env_files: [.env.prod]
    service: api
    path_variable: DB_PATH
    expected_volume: db_data
    required_tables: [tasks]
  register: db_info

- name: Refuse to migrate a DB in the wrong volume
  ansible.builtin.assert:
    that:
      - db_info.db.matches_expected
      - db_info.db.exists
      - db_info.db.missing_tables | length == 0
    fail_msg: "{{ db_info.guard_message }}"
    success_msg: "{{ db_info.guard_message }}"

- name: Postgres data directory and Alembic revision of the sprint bot
  tgops.stack.db_location_info:
    project_src: /opt/sprint-bot
    service: db
    engine: postgres
    expected_volume: pgdata
  register: pg_info
"""

RETURN = r"""
db:
  description: Location of the database and facts about it.
  returned: success
  type: dict
  contains:
    engine:
      description: V(sqlite) or V(postgres).
      type: str
    service:
      description: The inspected service.
      type: str
    source:
      description: Where the path and the mounts came from, V(running container <name>) or V(compose model).
      type: str
      sample: running container deploy-api-1
    path_variable:
      description: The variable that was read.
      type: str
      sample: DB_PATH
    path:
      description: DB path (SQLite) or data directory (Postgres) inside the container.
      type: str
      sample: /data/organizer.db
    host_path:
      description: The same path seen from the Docker host (C(null) when the volume does not exist yet).
      type: str
      sample: /var/lib/docker/volumes/deploy_db_data/_data/organizer.db
    mount:
      description:
        - The mount covering the path; C(null) for a Postgres client service without a data directory (see O(url_variable)).
        - C(source) is the host side (volume mountpoint or bind source).
        - C(volume_key) is C(null) for a volume that is not in the model and has no compose label of this project.
      type: dict
      sample: {type: volume, volume_key: db_data, volume_name: deploy_db_data, source: /var/lib/docker/volumes/deploy_db_data/_data,
               target: /data, read_only: false}
    volume_name:
      description: Real Docker volume name holding the DB (C(null) for a bind mount).
      type: str
      sample: deploy_db_data
    expected_volume:
      description: O(expected_volume) as given.
      type: str
    matches_expected:
      description: Whether O(expected_volume) is the volume key, volume name or host source of the mount; C(null) without O(expected_volume).
      type: bool
    exists:
      description: Whether the SQLite file (or the Postgres data directory with C(PG_VERSION)) exists on the host.
      type: bool
    size_bytes:
      description: Size of the SQLite file (C(null) for Postgres or a missing file).
      type: int
    quick_check:
      description: Result of C(PRAGMA quick_check) (V(ok) when healthy), or why it could not run; C(null) for Postgres or with O(quick_check=false).
      type: str
      sample: ok
    tables:
      description: Tables (SQLite, or Postgres when the container runs; else C(null)).
      type: list
      elements: str
      sample: [schema_migrations, tasks]
    required_tables:
      description: O(required_tables) as given.
      type: list
      elements: str
    missing_tables:
      description: Required tables that do not exist (C(null) when the tables could not be listed).
      type: list
      elements: str
      sample: []
    url_variable:
      description: O(url_variable) (Postgres only).
      type: str
      returned: O(engine=postgres)
    url_host:
      description: Host of the database URL found in O(url_variable), C(null) without one (Postgres only).
      type: str
      returned: O(engine=postgres)
      sample: db
    url_port:
      description: Port of the database URL, C(null) when the URL has none (Postgres only).
      type: int
      returned: O(engine=postgres)
    url_database:
      description: Database name of the database URL (Postgres only).
      type: str
      returned: O(engine=postgres)
      sample: sprint
    url_user:
      description: User of the database URL; the password is never returned (Postgres only).
      type: str
      returned: O(engine=postgres)
    revision:
      description: Newest migration found, as C(table), C(column), C(value); C(null) without a migration table.
      type: dict
      sample: {table: schema_migrations, column: version, value: 7}
migration_db:
  description: With O(migration), the location of the DB the migration service would touch; the keys of RV(db).
  returned: when O(migration) is set
  type: dict
migration_guard_message:
  description: With O(migration), the one-sentence summary of RV(migration_db).
  returned: when O(migration) is set
  type: str
guard_message:
  description: One sentence summarizing where the DB lives and its state, for assert messages and the ops journal.
  returned: success
  type: str
  sample: >-
    DB_PATH=/data/organizer.db of service api (running container deploy-api-1) is in volume deploy_db_data (key db_data)
    mounted at /data; expected volume db_data: MATCH; the SQLite file exists (12288 bytes), quick_check ok, 2 tables,
    required tables present, schema_migrations.version = 7.
"""

from ansible.module_utils.basic import AnsibleModule


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.db_location import db_location_argument_spec, locate_with_migration
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(db_location_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result = locate_with_migration(ComposeProject(module), module.params, lambda params: ComposeProject(module, params))
    except StackError as exc:
        fail(module, exc)
    else:
        module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
