#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: db_copies_info
short_description: Find every Docker volume that holds a copy of a stack's SQLite DB, with its tables and size
version_added: 0.1.0
description:
  - For the split-volume incident. Looks for the DB file (C(DB_PATH) relative to the mount that holds it) in the
    runtime volume and in every other volume that looks like part of the project (O(volumes)), and reads each copy
    read-only (size, C(quick_check), tables, migration revision), so the operator sees which volume the runtime uses
    and which one the migrations went into.
  - Files are read through the volumes' mountpoints on the Docker host, read-only; no container is started.
  - Custom because no module inspects the contents of several volumes side by side.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  db_path:
    description: C(DB_PATH) inside the runtime container, for example V(/data/organizer.db).
    type: str
    required: true
  mount_destination:
    description: Where the runtime volume is mounted in the container, for example V(/data).
    type: str
    required: true
  runtime_volume:
    description: Real name of the volume the runtime uses.
    type: str
    required: true
  volumes:
    description: Other volume names to look in (for example RV(tgops.stack.compose_stack_info#module:stack.related_volumes)).
    type: list
    elements: str
    default: []
  required_tables:
    description: Tables each copy is checked for.
    type: list
    elements: str
    default: []
  docker_host:
    description: Docker daemon URL; default E(DOCKER_HOST) or the local socket.
    type: str
"""

EXAMPLES = r"""
- name: Show every copy of the todo DB
  tgops.stack.db_copies_info:
    db_path: /data/organizer.db
    mount_destination: /data
    runtime_volume: deploy_db_data
    volumes: [deploy_runtime_data]
    required_tables: [tasks]
  register: copies
"""

RETURN = r"""
copies:
  description: One entry per volume looked at, the runtime volume first.
  returned: always
  type: list
  elements: dict
  sample:
    - {volume: deploy_db_data, role: runtime, path: organizer.db, exists: true, size_bytes: 90112, quick_check: ok,
       tables: [labels, schema_migrations, tasks], missing_tables: [], revision: {table: schema_migrations, column: version, value: '0003'}}
    - {volume: deploy_runtime_data, role: related, path: organizer.db, exists: true, size_bytes: 8192, quick_check: ok,
       tables: [], missing_tables: [tasks], revision: null}
holding_copies:
  description: Names of the volumes where the DB file exists.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tgops.stack.plugins.module_utils import docker_api
from ansible_collections.tgops.stack.plugins.module_utils.db_copies import copy_candidates, path_in_volume
from ansible_collections.tgops.stack.plugins.module_utils.sqlite_probe import inspect_sqlite


def main():
    module = AnsibleModule(
        argument_spec=dict(
            db_path=dict(type='str', required=True),
            mount_destination=dict(type='str', required=True),
            runtime_volume=dict(type='str', required=True),
            volumes=dict(type='list', elements='str', default=[]),
            required_tables=dict(type='list', elements='str', default=[]),
            docker_host=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    relative = path_in_volume(p['db_path'], p['mount_destination'])
    if relative is None:
        module.fail_json(msg='db_path=%s is not under mount_destination=%s; pass the mount that holds the DB' % (p['db_path'], p['mount_destination']))
    if docker_api.docker is None:
        module.fail_json(msg=missing_required_lib('docker (Docker SDK for Python)'), exception=docker_api.DOCKER_IMPORT_ERROR)
    try:
        client = docker_api.connect(p['docker_host'])
        mountpoints = dict((v.get('Name'), v.get('Mountpoint')) for v in docker_api.list_volume_attrs(client))
    except Exception as exc:  # pylint: disable=broad-except  # the Docker SDK raises several types for an unreachable daemon
        module.fail_json(msg=docker_api.unreachable_message(docker_api.effective_docker_host(p['docker_host']), exc))
    copies = []
    for name, rel, role in copy_candidates(p['runtime_volume'], p['volumes'], relative):
        entry = {'volume': name, 'role': role, 'path': rel, 'volume_exists': name in mountpoints}
        if name in mountpoints:
            entry.update(inspect_sqlite(os.path.join(mountpoints[name], rel), p['required_tables']))
        else:
            entry.update(exists=False, size_bytes=None, tables=[], missing_tables=list(p['required_tables']), quick_check=None, revision=None)
        copies.append(entry)
    module.exit_json(changed=False, copies=copies, holding_copies=[c['volume'] for c in copies if c.get('exists')])


if __name__ == '__main__':
    main()
