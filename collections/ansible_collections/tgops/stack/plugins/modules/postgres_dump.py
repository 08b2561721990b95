#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_dump
short_description: Dump the Postgres database of a Compose service with pg_dump inside its container, and check the dump
version_added: 0.1.0
description:
  - Runs C(pg_dump -Fc) B(inside) the running container of O(service) (so the client matches the server version) through
    C(docker exec -i) (never a TTY, which would mangle the binary stream); its standard output goes straight into a temporary
    file beside O(dest), never through memory.
  - The dump is then fed to C(pg_restore --list) in the same container; a dump it rejects fails the module and is removed.
    When the dump contains C(alembic_version), its revision is read with C(psql).
  - The dump is fsynced and renamed to O(dest) (mode C(0600)) only when all checks passed; on any failure the partial file is removed.
  - The user and database default to C(POSTGRES_USER)/C(POSTGRES_DB) of the container; C(POSTGRES_PASSWORD) is never read
    (C(pg_dump) connects over the container's local socket).
  - This is a custom module because M(community.postgresql.postgresql_db) with C(state=dump) runs the host's C(pg_dump), which must
    match the server version and reach the database over the network; it does not run the dump inside the Compose service's container.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
options:
  service:
    description:
      - The Compose service running Postgres; its running container is used.
    type: str
    default: db
  dest:
    description:
      - Host path of the dump (custom format); its directory must exist. An existing file is replaced atomically.
    type: path
    required: true
  db_user:
    description:
      - Postgres user; default C(POSTGRES_USER) of the container, else V(postgres).
    type: str
  db_name:
    description:
      - Database to dump; default C(POSTGRES_DB) of the container, else the user name.
    type: str
  compress:
    description:
      - The compression level of the dump (C(pg_dump -Z)), V(0) to V(9); omit for pg_dump's default (zlib level 6).
      - Use V(0) when the dump goes into a compressed archive (M(tgops.stack.backup_archive) with zstd), because pg_dump's zlib
        runs on one core and is the slowest part of a dump, and compressing twice saves nothing. C(pg_restore) reads both.
    type: int
    choices: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
attributes:
  check_mode:
    support: full
    details:
      - In check mode the container and the credentials are resolved and the command is returned; nothing is dumped or written.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run makes a new dump and reports RV(ignore:changed=true).
seealso:
  - module: tgops.stack.db_location_info
  - module: tgops.stack.backup_archive
"""

EXAMPLES = r"""
- name: Dump the sprint bot's database
  tgops.stack.postgres_dump:
    project_src: /opt/sprint-bot
    project_name: sprint
    service: db
    dest: /var/backups/sprint/work/sprint.dump
  register: pg_dump
"""

RETURN = r"""
dest:
  description: Path of the dump.
  returned: always
  type: str
container:
  description: The container the dump ran in.
  returned: always
  type: str
  sample: sprint-db-1
db_user:
  description: The Postgres user used.
  returned: always
  type: str
db_name:
  description: The database dumped.
  returned: always
  type: str
cmd:
  description: The dump command (holds no secret).
  returned: always
  type: list
  elements: str
size_bytes:
  description: Size of the dump (C(null) in check mode).
  returned: always
  type: int
sha256:
  description: sha256 of the dump (C(null) in check mode).
  returned: always
  type: str
toc_entries:
  description: Number of entries C(pg_restore --list) found in the dump.
  returned: always
  type: int
tables:
  description: Tables in the dump (C(schema.name) outside C(public)).
  returned: always
  type: list
  elements: str
  sample: [alembic_version, users]
row_counts:
  description:
    - Rows of each table in the dump, counted from C(pg_restore --data-only) of the dump itself (the dump's snapshot, not
      the live DB), C(null) in check mode. The backup role writes them into the manifest; a restore verification compares
      the restored copy with them.
  returned: always
  type: dict
  sample: {alembic_version: 1, users: 42}
alembic_revision:
  description: C(version_num) of C(alembic_version), C(null) without that table.
  returned: always
  type: str
  sample: '0003'
duration_s:
  description: Seconds spent.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.compose import check_services
from ansible_collections.tgops.stack.plugins.module_utils.db_location import container_name, postgres_credentials, running_container
from ansible_collections.tgops.stack.plugins.module_utils.postgres_dump import dump_postgres
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(
        service=dict(type='str', default='db'),
        dest=dict(type='path', required=True),
        db_user=dict(type='str'),
        db_name=dict(type='str'),
        compress=dict(type='int', choices=list(range(10))),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    try:
        project = ComposeProject(module)
        check_services(project.config, [p['service']], 'service')
        container = running_container(project.container_attrs, p['service'])
        if container is None:
            raise StackError('service=%s: no running container in project %s; start it (docker compose up -d %s) or fix service'
                             % (p['service'], project.name, p['service']))
        user, database = postgres_credentials(container, project.config, p['service'], p['db_user'], p['db_name'])
        result = dump_postgres(project.docker_cli, container_name(container), user, database, p['dest'], project.environ,
                               module.run_command, module.check_mode, p['compress'])
    except StackError as exc:
        fail(module, exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
