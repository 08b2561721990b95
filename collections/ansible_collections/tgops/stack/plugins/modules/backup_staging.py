#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_staging
short_description: Prepare (or remove) the private staging directory of one backup run
version_added: 0.2.0
description:
  - With O(state=present), in one call - reads the git revision of O(source_dir), creates the backup directory O(dir)
    (mode 0700), removes the C(.staging-*) directories older than O(stale_age) that killed runs left there (each holds
    a DB copy), and creates a private staging directory C(<dir>/.staging-XXXX) with the O(subdirs) for this run.
  - With O(state=absent), removes the staging directory O(path) a previous call returned; it refuses any other path.
  - Every step done is listed in RV(steps); a failed step is named in the error with the path and the system's error
    line, and the steps done before it are returned.
  - This is a custom module because the same work with M(ansible.builtin.command), M(ansible.builtin.file),
    M(ansible.builtin.find) and M(ansible.builtin.tempfile) takes six module calls, which is most of the time of a
    backup of a small DB.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
options:
  dir:
    description:
      - The backup directory; created with mode 0700 when missing, set to 0700 when it has another mode.
    type: path
    required: true
  state:
    description:
      - V(present) prepares a new staging directory; V(absent) removes O(path).
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - With O(state=absent), the staging directory to remove (RV(path) of the O(state=present) call).
    type: path
  stale_age:
    description:
      - Staging directories older than this (modification time) are removed, written as for M(ansible.builtin.find)
        C(age) - V(12h), V(30m), V(2d), or seconds.
    type: str
    default: 12h
  subdirs:
    description:
      - Directories created inside the new staging directory (mode 0700).
    type: list
    elements: str
    default: [db]
  source_dir:
    description:
      - A directory whose git revision (C(git rev-parse HEAD)) is returned as RV(git_sha). When it is not a checkout,
        RV(git_error) holds git's own error line and the module does not fail.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - In check mode the steps are reported and nothing is created or removed; RV(path) is C(null).
  diff_mode:
    support: none
  idempotent:
    support: none
    details:
      - With O(state=present) every call creates a new staging directory (one per run) and reports RV(ignore:changed=true).
        O(state=absent) is idempotent.
seealso:
  - module: tgops.stack.backup_archive
  - module: ansible.builtin.tempfile
"""

EXAMPLES = r"""
- name: Prepare the backup run
  tgops.stack.backup_staging:
    dir: /var/backups/tgops/todo
    source_dir: /opt/mytgtodoist
    stale_age: 12h
  register: staging

- name: Remove the staging directory
  tgops.stack.backup_staging:
    dir: /var/backups/tgops/todo
    path: "{{ staging.path }}"
    state: absent
"""

RETURN = r"""
path:
  description:
    - The staging directory of this run (with O(state=absent), the one removed); C(null) in check mode.
    - A failure returns the path it failed at as C(failed_path), never as C(path).
  returned: always
  type: str
  sample: /var/backups/tgops/todo/.staging-k2j4v9
removed_stale:
  description: Stale staging directories removed (or that would be in check mode).
  returned: state=present
  type: list
  elements: str
git_sha:
  description: The git revision of O(source_dir); C(null) when it is not a checkout or O(source_dir) was not given.
  returned: state=present
  type: str
git_error:
  description: Why there is no RV(git_sha) - git's own last error line; C(null) otherwise.
  returned: state=present
  type: str
  sample: "fatal: not a git repository (or any of the parent directories): .git"
steps:
  description: What was done, in order.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.backup_staging import prepare, remove
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type='path', required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            path=dict(type='path'),
            stale_age=dict(type='str', default='12h'),
            subdirs=dict(type='list', elements='str', default=['db']),
            source_dir=dict(type='path'),
        ),
        required_if=[('state', 'absent', ['path'])],
        supports_check_mode=True,
    )
    p = module.params
    try:
        if p['state'] == 'absent':
            result = remove(p['dir'], p['path'], check_mode=module.check_mode)
        else:
            result = prepare(p['dir'], stale_age=p['stale_age'], subdirs=p['subdirs'], source_dir=p['source_dir'],
                             run=lambda argv: module.run_command(argv, handle_exceptions=False),
                             check_mode=module.check_mode)
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
