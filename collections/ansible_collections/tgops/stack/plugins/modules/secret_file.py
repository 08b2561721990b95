#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: secret_file
short_description: Change secrets in an env file or a key file atomically, keeping dated 0600 backups, never showing a value
version_added: 0.1.0
description:
  - Sets keys of an env file (O(env)), the password inside URL-valued keys (O(env_url_passwords), for C(DB_URL)), or
    the whole content of a key file (O(content), for the file named by C(GOOGLE_APPLICATION_CREDENTIALS)).
  - Before a change it copies the current file to C(<path>.<YYYYMMDDTHHMMSSZ>.bak) (mode 0600) and prunes older backups
    to the newest O(keep_backups); then writes the new file to a temp file in the same directory and renames it over
    the old one (mode 0600), so a reader sees the old file or the new one, never half of one.
  - O(state=restored) puts a backup written earlier back in place the same way (the rollback of a failed rotation).
  - With O(content_format=google_service_account) the new content must parse as a service-account key with the
    required fields, and (O(same_client_email)) belong to the same service account as the current file; otherwise the
    module fails before changing anything.
  - Results, diffs and errors carry key names and field names only.
  - Custom because M(ansible.builtin.lineinfile) edits one key per task, names its backups in a way nothing prunes,
    and cannot replace a password inside a URL without the old URL (a secret) passing through a variable.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
options:
  path:
    description: The env file or key file.
    type: path
    required: true
  env:
    description: Keys to set in the env file and their new values.
    type: dict
  env_url_passwords:
    description: Keys holding URLs (such as C(DB_URL)) and the new password to put in each URL; user, host and database stay.
    type: dict
  content:
    description: New content of the whole file.
    type: str
  content_format:
    description: How to check O(content) before writing it.
    type: str
    choices: [raw, google_service_account]
    default: raw
  same_client_email:
    description: With O(content_format=google_service_account), refuse a key of another service account than the current file's.
    type: bool
    default: true
  state:
    description: C(present) writes the new values; C(restored) puts O(restore_from) back.
    type: str
    choices: [present, restored]
    default: present
  restore_from:
    description: A backup written by an earlier run (its RV(backup)); required with O(state=restored).
    type: path
  keep_backups:
    description:
      - How many dated backups of the file to keep. The backup this run writes (RV(backup), the rollback copy) is never
        pruned, so V(0) keeps exactly that one.
    type: int
    default: 5
  mode:
    description: Mode of the written file and its backups.
    type: raw
    default: '0600'
attributes:
  check_mode:
    support: full
    details:
      - Reports which keys would change and runs every check; writes nothing.
  diff_mode:
    support: partial
    details:
      - The diff names the keys (or the file) that change, never a value.
  idempotent:
    support: full
    details:
      - Values already in place report no change and write no backup.
"""

EXAMPLES = r"""
- name: Put the new bot token in the env file
  tgops.stack.secret_file:
    path: /opt/sprint-bot/.env
    env:
      BOT_TOKEN: "{{ vault_new_bot_token }}"
  no_log: true
  register: edit

- name: Put the new Postgres password into DB_URL and POSTGRES_PASSWORD
  tgops.stack.secret_file:
    path: /opt/sprint-bot/.env
    env:
      POSTGRES_PASSWORD: "{{ new_pg_password }}"
    env_url_passwords:
      DB_URL: "{{ new_pg_password }}"
  no_log: true

- name: Roll back
  tgops.stack.secret_file:
    path: /opt/sprint-bot/.env
    state: restored
    restore_from: "{{ edit.backup }}"
"""

RETURN = r"""
changed_keys:
  description: Names of the keys that changed (or would); C([content]) for a whole-file change.
  returned: always
  type: list
  elements: str
backup:
  description: Path of the dated backup written before the change (null when nothing changed or in check mode).
  returned: always
  type: str
pruned:
  description: Backups removed to keep O(keep_backups).
  returned: always
  type: list
  elements: str
client_email:
  description: With O(content_format=google_service_account), the service account of the new key (not a secret).
  returned: when content_format is google_service_account
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.tgops.stack.plugins.module_utils.files import atomic_write
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import normalize_mode
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.secrets import backups_to_prune, free_backup_path, secret_file_text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            env=dict(type='dict', no_log=True),
            env_url_passwords=dict(type='dict', no_log=True),
            content=dict(type='str', no_log=True),
            content_format=dict(type='str', choices=['raw', 'google_service_account'], default='raw'),
            same_client_email=dict(type='bool', default=True),
            state=dict(type='str', choices=['present', 'restored'], default='present'),
            restore_from=dict(type='path'),
            keep_backups=dict(type='int', default=5),
            mode=dict(type='raw', default='0600'),
        ),
        mutually_exclusive=[('content', 'env'), ('content', 'env_url_passwords')],
        required_if=[('state', 'restored', ('restore_from',)), ('state', 'present', ('env', 'env_url_passwords', 'content'), True)],
        supports_check_mode=True,
    )
    p = module.params
    try:
        mode = int(normalize_mode(p['mode']), 8)
    except ValueError:
        module.fail_json(msg="mode=%r is not an octal file mode; use e.g. '0600'" % (p['mode'],))
    path = p['path']
    result = dict(changed=False, changed_keys=[], backup=None, pruned=[])

    if p['state'] == 'restored':
        if not os.path.isfile(p['restore_from']):
            module.fail_json(msg='restore_from=%s does not exist; pass the backup path a previous run returned' % p['restore_from'])
        with open(p['restore_from'], 'rb') as handle:
            wanted = handle.read()
        current = open(path, 'rb').read() if os.path.exists(path) else None
        if current != wanted:
            result.update(changed=True, changed_keys=['content'])
            if module._diff:
                result['diff'] = dict(before='%s: current content\n' % path, after='%s: content of %s\n' % (path, p['restore_from']))
            if not module.check_mode:
                atomic_write(path, wanted, mode, keep_owner=True)
        module.exit_json(**result)

    try:
        old = open(path, 'rb').read().decode('utf-8') if os.path.exists(path) else ''
    except (OSError, UnicodeDecodeError) as exc:
        module.fail_json(msg='path=%s cannot be read as text (%s); fix the path or the file' % (path, exc.__class__.__name__))
    if p['content'] is None and not os.path.exists(path):
        module.fail_json(msg='path=%s does not exist; env edits need the env file the stack uses' % path)
    try:
        text, changed, client_email = secret_file_text(path, old, p['content'], p['content_format'], p['same_client_email'],
                                                       p['env'], p['env_url_passwords'])
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    if client_email is not None:
        result['client_email'] = client_email
    result['changed_keys'] = changed
    if changed:
        result['changed'] = True
        if module._diff:
            result['diff'] = dict(before=''.join('%s: old value\n' % k for k in changed),
                                  after=''.join('%s: new value\n' % k for k in changed))
        if not module.check_mode:
            directory = os.path.dirname(path) or '.'
            if os.path.exists(path):
                backup = free_backup_path(path)
                atomic_write(backup, to_bytes(old), mode)
                result['backup'] = backup
            atomic_write(path, to_bytes(text), mode, keep_owner=True)
            # The backup just written is the rollback copy of this change: never pruned, even with keep_backups=0.
            for name in backups_to_prune(path, os.listdir(directory), p['keep_backups'], protect=[result.get('backup')]):
                os.unlink(os.path.join(directory, name))
                result['pruned'].append(os.path.join(directory, name))
    elif not module.check_mode and os.path.exists(path) and (os.stat(path).st_mode & 0o7777) != mode:
        os.chmod(path, mode)
        result['changed'] = True
    module.exit_json(**result)


if __name__ == '__main__':
    main()
