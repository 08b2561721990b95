#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_retention
short_description: Choose which backup archives to keep and prune, and prune a local backup directory
version_added: 0.1.0
description:
  - Selects what to keep among archives named C(<stack>-YYYYMMDDTHHMMSSZ.tar.zst) (or C(.tar.gz)), in the spirit of restic and
    borg - the O(keep_last) newest, the newest of each of the O(keep_daily) most recent days that have an archive, the same for
    O(keep_weekly) ISO weeks - and returns the others as RV(prune).
  - "Never pruned: the newest verified archive, archives whose date is unknown or in the future, and the last archive
    (zero archives are never left)."
  - With O(path), the archives of that directory are read (an archive counts as verified when its C(.sha256) sits beside it)
    and, with O(apply=true), the pruned archives and their C(.sha256) are deleted.
  - With O(archives) (for example RV(tgops.stack.s3_backup_info#module:archives)), the module only selects. To apply the same
    retention to an S3 prefix, use M(tgops.stack.s3_backup) with O(tgops.stack.s3_backup#module:state=pruned), which lists,
    selects and deletes in one call.
  - This is a custom module because no well-kept module applies keep-last/daily/weekly retention to backup archives;
    M(ansible.builtin.find) with C(age) cannot protect the newest verified archive.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.retention
options:
  path:
    description:
      - Local directory holding the archives. Mutually exclusive with O(archives).
    type: path
  archives:
    description:
      - Archives to select from, as a list of dicts with C(name) and optionally C(created) (ISO 8601; default the stamp in the
        name) and C(verified) (bool, default V(true)). Mutually exclusive with O(path); nothing is deleted.
    type: list
    elements: dict
  apply:
    description:
      - With O(path), delete the pruned archives. With V(false) only report.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details:
      - In check mode the selection is returned and nothing is deleted.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A second run finds nothing more to prune and reports RV(ignore:changed=false).
seealso:
  - module: tgops.stack.backup_archive
  - module: tgops.stack.s3_backup_info
  - module: tgops.stack.s3_backup
"""

EXAMPLES = r"""
- name: Prune the local backups of todo
  tgops.stack.backup_retention:
    path: /var/backups/todo
    stack: todo
    keep_last: 7
    keep_daily: 7
    keep_weekly: 4

- name: Select what to prune in S3
  tgops.stack.backup_retention:
    archives: "{{ stored.archives }}"
    stack: sprint
  register: s3_retention
"""

RETURN = r"""
keep:
  description: Archive names kept, newest first (undated ones last).
  returned: success
  type: list
  elements: str
prune:
  description: Archive names selected for pruning, newest first.
  returned: success
  type: list
  elements: str
reasons:
  description: Why each kept archive is kept.
  returned: success
  type: dict
  sample: {todo-20261122T060000Z.tar.zst: [last 7, daily, newest verified]}
removed:
  description: Files deleted (or that would be in check mode); empty without O(path) or with O(apply=false).
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


from ansible_collections.tgops.stack.plugins.module_utils.backup_retention import (
    parse_archive_name,
    prune_directory,
    retention_argument_spec,
    select_prunable,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            archives=dict(type='list', elements='dict'),
            apply=dict(type='bool', default=True),
            **retention_argument_spec()
        ),
        mutually_exclusive=[('path', 'archives')],
        required_one_of=[('path', 'archives')],
        supports_check_mode=True,
    )
    p = module.params
    try:
        if p['path']:
            result = prune_directory(p['path'], p['stack'], p['keep_last'], p['keep_daily'], p['keep_weekly'], protect=p['protect'],
                                     apply=p['apply'], check_mode=module.check_mode)
        else:
            archives = [a for a in p['archives'] if not p['stack'] or (parse_archive_name(a.get('name')) or {}).get('stack') == p['stack']]
            result = dict(select_prunable(archives, p['keep_last'], p['keep_daily'], p['keep_weekly'], protect=p['protect']), removed=[])
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(changed=bool(result['removed']), **result)


if __name__ == '__main__':
    main()
