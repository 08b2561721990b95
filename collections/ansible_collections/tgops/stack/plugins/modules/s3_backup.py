#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_backup
short_description: Upload a backup archive to S3 and move the latest pointer after verifying it, fetch, delete or prune archives
version_added: 0.1.0
description:
  - "O(state=present): uploads the archive O(src) and its C(.sha256) to C(<prefix>/<basename>) (multipart, streamed from disk),
    with the sha256 in the object metadata; downloads it back as a stream and compares the sha256 (O(verify)); only then, with
    O(set_latest), copies it server-side to C(<prefix>/latest.tar.zst) (or C(latest.tar.gz)) plus C(latest.tar.zst.sha256), so
    C(aws s3 cp s3://BUCKET/PREFIX/latest.tar.gz - | tar -tz) (or C(... latest.tar.zst - | zstd -dc | tar -t)) works verbatim."
  - The local archive is checked against its C(.sha256) first; a corrupt archive is never uploaded.
  - O(state=absent) deletes the archive O(key) and its C(.sha256).
  - O(state=pruned) applies the retention of M(tgops.stack.backup_retention) to the archives under O(prefix) in one call - it
    lists them, keeps the O(keep_last) newest, the newest of each of the O(keep_daily) most recent days and of the O(keep_weekly)
    most recent ISO weeks, and deletes the others with their C(.sha256). Always kept - the archives named in O(protect), the
    archive each C(latest) pointer is a copy of, the newest archive, and archives whose date is unknown or in the future.
  - O(state=fetched) downloads O(key) (default the newest C(latest.tar.*)) to O(dest) atomically, checks it against the sha256
    metadata, and writes C(<dest>.sha256) for M(tgops.stack.backup_verify).
  - An unreachable endpoint fails fast (small O(connect_timeout) and O(max_attempts)) and says the local archive is kept.
    Credentials are never returned or printed.
  - This is a custom module because M(amazon.aws.s3_object) does not move a C(latest) pointer atomically after verifying the
    upload, does not keep a sha256 in the metadata for idempotence across multipart uploads, and does not apply retention.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.s3_store
  - tgops.stack.retention
options:
  state:
    description:
      - V(present) uploads O(src), V(absent) deletes O(key), V(fetched) downloads O(key) to O(dest), V(pruned) deletes the
        archives beyond the retention (O(keep_last), O(keep_daily), O(keep_weekly), O(stack), O(protect); those options
        apply to this state only).
    type: str
    choices: [present, absent, fetched, pruned]
    default: present
  src:
    description:
      - Archive to upload (with O(state=present)); C(<src>.sha256) must sit beside it.
    type: path
  set_latest:
    description:
      - After a verified upload, point C(<prefix>/latest.tar.zst) (or C(.tar.gz)) at this archive.
    type: bool
    default: true
  verify:
    description:
      - Download the uploaded object as a stream and compare its sha256 before moving latest.
    type: bool
    default: true
  key:
    description:
      - Archive name relative to O(prefix) (for example V(todo-20261122T060000Z.tar.zst)); required with O(state=absent).
      - With O(state=fetched), default the newest of C(latest.tar.zst)/C(latest.tar.gz).
    type: str
  dest:
    description:
      - Local path to download to (with O(state=fetched)); its directory must exist.
    type: path
  progress_mib:
    description:
      - Add a line to RV(progress) every this many MiB of an upload, its verifying download or a fetch (and one at the end);
        V(0) turns the lines off. Run the task with C(async)/C(poll) to see that a long transfer is alive while it runs.
    type: int
    default: 64
attributes:
  check_mode:
    support: full
    details:
      - In check mode the store is read (listing and HEAD requests) to predict the change; nothing is uploaded, copied, deleted
        or downloaded.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - An archive already stored with the same size and sha256 metadata is not uploaded again, latest already pointing at it
        is not moved, an absent key is not deleted, a fetched file with the right sha256 is not downloaded again, and a second
        O(state=pruned) finds nothing more to delete.
seealso:
  - module: tgops.stack.backup_archive
  - module: tgops.stack.s3_backup_info
  - module: tgops.stack.backup_retention
"""

EXAMPLES = r"""
- name: Upload the archive and move latest
  tgops.stack.s3_backup:
    endpoint_url: http://127.0.0.1:9000
    bucket: backups
    prefix: sprint-bot
    src: "{{ archive.archive }}"
  environment:
    AWS_ACCESS_KEY_ID: "{{ vault_s3_access_key }}"
    AWS_SECRET_ACCESS_KEY: "{{ vault_s3_secret_key }}"

- name: Keep 7 daily and 4 weekly archives of todo in S3, never the one just uploaded
  tgops.stack.s3_backup:
    endpoint_url: http://127.0.0.1:9000
    bucket: backups
    prefix: todo
    state: pruned
    stack: todo
    keep_last: 7
    keep_daily: 7
    keep_weekly: 4
    protect: ["{{ archive.archive | basename }}"]

- name: Fetch latest for a restore drill
  tgops.stack.s3_backup:
    endpoint_url: http://127.0.0.1:9000
    bucket: backups
    prefix: sprint-bot
    state: fetched
    dest: /var/tmp/restore/latest.tar.gz

- name: Prune what retention selected
  tgops.stack.s3_backup:
    endpoint_url: http://127.0.0.1:9000
    bucket: backups
    prefix: sprint-bot
    state: absent
    key: "{{ item }}"
  loop: "{{ s3_retention.prune }}"
"""

RETURN = r"""
transfers:
  description: The last line of each transfer done (upload, verifying download, fetch), for a journal entry.
  returned: O(state=present) or O(state=fetched)
  type: list
  elements: str
progress:
  description:
    - One line every O(progress_mib) MiB of each transfer and one at its end, with the bytes done, the share of the total,
      the time taken and the rate. Empty when nothing was transferred.
  returned: O(state=present) or O(state=fetched)
  type: list
  elements: str
  sample: ["upload s3://backups/todo/todo-20261130T060000Z.tar.zst: 64.0 MiB of 1.02 GiB (6%) after 1.9 s, 33.7 MiB/s"]
key:
  description: Object key of the archive uploaded, deleted or fetched.
  returned: O(state=present), O(state=absent) or O(state=fetched)
  type: str
  sample: sprint-bot/sprint-20261122T060000Z.tar.gz
sha256_key:
  description: Object key of its C(.sha256).
  returned: O(state=present)
  type: str
size_bytes:
  description: Size of the archive.
  returned: O(state=present) or O(state=fetched)
  type: int
sha256:
  description: sha256 of the archive.
  returned: O(state=present) or O(state=fetched)
  type: str
uploaded:
  description: Whether the archive or its C(.sha256) was (or in check mode would be) uploaded.
  returned: O(state=present)
  type: bool
verified:
  description: Whether the stored object was downloaded and matched; C(null) when not checked (O(verify=false), check mode, or nothing to upload or move).
  returned: O(state=present)
  type: bool
latest_key:
  description: Key of the latest copy (C(null) without O(set_latest)).
  returned: O(state=present)
  type: str
  sample: sprint-bot/latest.tar.gz
latest_moved:
  description: Whether latest was (or would be) moved to this archive.
  returned: O(state=present)
  type: bool
deleted:
  description: Keys deleted (or that would be in check mode), each archive with its C(.sha256).
  returned: O(state=absent) or O(state=pruned)
  type: list
  elements: str
dest:
  description: Local path of the fetched archive.
  returned: O(state=fetched)
  type: str
sha256_file:
  description: Path of the C(.sha256) written beside O(dest).
  returned: O(state=fetched)
  type: str
source_key:
  description: For a fetched C(latest), the archive it is a copy of.
  returned: O(state=fetched)
  type: str
duration_s:
  description: Seconds spent.
  returned: O(state=present), O(state=fetched) or O(state=pruned)
  type: float
keep:
  description: Archive names kept, newest first (undated ones last).
  returned: O(state=pruned)
  type: list
  elements: str
prune:
  description: Archive names beyond the retention, newest first.
  returned: O(state=pruned)
  type: list
  elements: str
reasons:
  description: Why each kept archive is kept.
  returned: O(state=pruned)
  type: dict
  sample: {todo-20261122T060000Z.tar.zst: [last 7, daily, newest verified]}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


from ansible_collections.tgops.stack.plugins.module_utils.backup_retention import retention_argument_spec
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.s3_store import (
    BOTO3_IMPORT_ERROR,
    client_from_params,
    delete_archive,
    ensure_bucket_reachable,
    fetch_archive,
    prune_archives,
    s3_argument_spec,
    s3_call,
    upload_archive,
)


def main():
    argument_spec = s3_argument_spec()
    argument_spec.update(
        state=dict(type='str', choices=['present', 'absent', 'fetched', 'pruned'], default='present'),
        src=dict(type='path'),
        set_latest=dict(type='bool', default=True),
        verify=dict(type='bool', default=True),
        key=dict(type='str', no_log=False),
        dest=dict(type='path'),
        progress_mib=dict(type='int', default=64),
    )
    argument_spec.update(retention_argument_spec())
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'present', ['src']), ('state', 'absent', ['key']), ('state', 'fetched', ['dest'])],
        supports_check_mode=True,
    )
    if BOTO3_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('boto3'), exception=BOTO3_IMPORT_ERROR)
    p = module.params
    local = p['src'] if p['state'] == 'present' else None
    try:
        client = client_from_params(p)
        s3_call(p['endpoint_url'], p['bucket'], 'bucket check', ensure_bucket_reachable, client, p['bucket'], local=local)
        if p['state'] == 'present':
            result = s3_call(p['endpoint_url'], p['bucket'], 'upload', upload_archive, client, p['bucket'], p['prefix'], p['src'],
                             p['set_latest'], p['verify'], module.check_mode, p['progress_mib'], local=local)
        elif p['state'] == 'absent':
            result = s3_call(p['endpoint_url'], p['bucket'], 'delete', delete_archive, client, p['bucket'], p['prefix'], p['key'],
                             module.check_mode)
        elif p['state'] == 'pruned':
            result = s3_call(p['endpoint_url'], p['bucket'], 'retention', prune_archives, client, p['bucket'], p['prefix'], p['stack'],
                             p['keep_last'], p['keep_daily'], p['keep_weekly'], p['protect'], module.check_mode)
        else:
            result = s3_call(p['endpoint_url'], p['bucket'], 'download', fetch_archive, client, p['bucket'], p['prefix'], p['dest'],
                             p['key'], module.check_mode, p['progress_mib'])
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
