#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: sqlite_backup
short_description: Consistent online copy of a live SQLite database, checked before it is kept
version_added: 0.1.0
description:
  - Copies the SQLite database at O(src) (a path on the Docker host, for example RV(tgops.stack.db_location_info#module:db.host_path))
    to O(dest) while the application keeps writing, with SQLite's own backup API in one step (C(backup(dst, pages=-1))) or
    with C(VACUUM INTO). The copy is a snapshot of one transaction; in WAL mode the copy does not block the writer.
  - The copy is written to a temporary file beside O(dest), switched to a single self-contained file (C(journal_mode=DELETE)),
    checked with C(PRAGMA integrity_check), compared with O(required_tables), then fsynced and renamed to O(dest) (mode C(0600)).
    Anything but C(ok), or a missing required table, fails and removes the copy.
  - The live database is opened read-only. A WAL database with no open connection (no C(-shm) file) is first copied with its
    C(-wal) to a private temporary directory, so no root-owned C(-wal)/C(-shm) file is left in the volume; any C(-wal)/C(-shm)
    this run still created is given the owner of the database file.
  - With O(state=restored) it does the reverse, for a production restore with the writers stopped - O(src) is the DB file
    extracted from a verified archive and O(dest) the live DB - all or nothing. O(src) is copied to a temp file beside
    O(dest) (owner and mode of O(dest)) and checked with C(integrity_check); the live DB's C(-wal)/C(-shm)/C(-journal) are
    renamed aside, the temp file is renamed over O(dest), then the set-aside files are removed. Any failure before the
    final rename puts them back and removes the temp file, so the live DB is either replaced or untouched.
  - This is a custom module because no well-kept module makes an online SQLite copy; copying the file with
    M(ansible.builtin.copy) while the application writes can produce a torn, corrupt copy.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
options:
  state:
    description:
      - V(backed_up) copies the live DB O(src) to O(dest); V(restored) puts O(src) in place of the live DB O(dest).
    type: str
    choices: [backed_up, restored]
    default: backed_up
  src:
    description:
      - Host path of the live SQLite database (with O(state=restored), the DB file to put in its place).
    type: path
    required: true
  dest:
    description:
      - Path of the copy; its directory must exist. An existing file is replaced atomically (with O(state=restored), the live DB).
    type: path
    required: true
  method:
    description:
      - V(backup_api) uses the online backup API in one step; V(vacuum_into) uses C(VACUUM INTO) (a compacted copy, SQLite >= 3.27).
    type: str
    choices: [backup_api, vacuum_into]
    default: backup_api
  required_tables:
    description:
      - Tables the copy must contain; a missing one fails the module and removes the copy.
    type: list
    elements: str
    default: []
  busy_timeout_ms:
    description:
      - How long to wait for a lock held by the application, in milliseconds.
    type: int
    default: 5000
  raw_copy_fallback:
    description:
      - When the DB is refused (C(integrity_check) fails, it is not a database, a required table is missing), copy its
        file (and C(-wal)/C(-journal)) byte for byte instead of failing, and return RV(verified=false) with RV(problem).
      - For the safety copy taken before a production restore, with the writers stopped; a broken live DB must not block
        its own restore. Errors of the copy itself (no space, permissions) still fail.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is opened or written; the size of the source and the would-be O(dest) are returned.
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - Every run makes a new copy of the live database and reports RV(ignore:changed=true).
seealso:
  - module: tgops.stack.db_location_info
  - module: tgops.stack.backup_archive
"""

EXAMPLES = r"""
- name: Where does the API's DB live?
  tgops.stack.db_location_info:
    project_src: /opt/mytgtodoist
    project_name: deploy
    service: api
    expected_volume: db_data
  register: db_info

- name: Online copy of the live DB
  tgops.stack.sqlite_backup:
    src: "{{ db_info.db.host_path }}"
    dest: /var/backups/todo/work/organizer.db
    required_tables: [tasks]
  register: sqlite_copy
"""

RETURN = r"""
src:
  description: Absolute path of the live database.
  returned: always
  type: str
dest:
  description: Path of the copy.
  returned: always
  type: str
  sample: /var/backups/todo/work/organizer.db
method:
  description: The copy method used.
  returned: always
  type: str
size_bytes:
  description: Size of the copy (C(null) in check mode).
  returned: always
  type: int
source_size_bytes:
  description: Size of the live database file (without its C(-wal)).
  returned: always
  type: int
sha256:
  description: sha256 of the copy (C(null) in check mode).
  returned: always
  type: str
integrity_check:
  description: Result of C(PRAGMA integrity_check) on the copy (V(ok)).
  returned: always
  type: str
  sample: ok
tables:
  description: Row count of each table of the copy.
  returned: always
  type: dict
  sample: {schema_migrations: 3, tasks: 120}
schema_version:
  description: C(MAX(version)) of C(schema_migrations), C(null) without that table.
  returned: always
  type: int
  sample: 7
revision:
  description: Newest migration found (C(schema_migrations), C(alembic_version), ...) as C(table), C(column), C(value).
  returned: always
  type: dict
wal_mode:
  description: Whether the live database is in WAL mode.
  returned: always
  type: bool
side_files_chowned:
  description: C(-wal)/C(-shm) files created by this run beside the live database and given the database file's owner.
  returned: always
  type: list
  elements: str
side_files_removed:
  description: With O(state=restored), the C(-wal)/C(-shm)/C(-journal) files of the replaced DB that were removed.
  returned: state=restored
  type: list
  elements: str
verified:
  description: Whether the copy passed C(integrity_check) and O(required_tables) (V(false) for a raw copy).
  returned: always
  type: bool
problem:
  description: Why the DB was refused when a raw copy was taken instead (O(raw_copy_fallback)); C(null) otherwise.
  returned: always
  type: str
duration_s:
  description: Seconds spent.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.sqlite_backup import backup_sqlite, install_sqlite


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type='path', required=True),
            dest=dict(type='path', required=True),
            method=dict(type='str', choices=['backup_api', 'vacuum_into'], default='backup_api'),
            required_tables=dict(type='list', elements='str', default=[]),
            busy_timeout_ms=dict(type='int', default=5000),
            raw_copy_fallback=dict(type='bool', default=False),
            state=dict(type='str', choices=['backed_up', 'restored'], default='backed_up'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        if p['state'] == 'restored':
            module.exit_json(**install_sqlite(p['src'], p['dest'], check_mode=module.check_mode))
        result = backup_sqlite(p['src'], p['dest'], p['method'], p['required_tables'], p['busy_timeout_ms'], module.check_mode,
                               raw_copy_fallback=p['raw_copy_fallback'])
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
