#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_archive
short_description: Build one verified backup archive (tar + zstd or gzip) with a manifest and a sha256 file
version_added: 0.1.0
description:
  - Writes C(<dest_dir>/<name>.tar.zst) (or C(.tar.gz)) from O(members), plus C(<archive>.sha256) in C(sha256sum) format
    (C(<hex>  <basename>)), so C(sha256sum -c) works on the host and after a download.
  - Everything is streamed - the tar stream goes straight into the compressor (the C(zstd) CLI's standard input, or Python's
    C(zstandard)/C(gzip) writer), each member is hashed while it is read - so memory does not grow with the data.
  - "The archive holds the members in the given order, then C(env.redacted) (the keys of O(env_file), every value replaced by
    C(<redacted>)), then C(manifest.json) as the B(last) member: format version, creation time (UTC), every member's name,
    size and sha256, and O(metadata). Writing it last means sizes and hashes are known without a second pass over the data;
    readers (M(tgops.stack.backup_verify)) stream the whole archive anyway."
  - One pass over the data - each member is hashed while it is archived and the compressed stream is hashed and counted
    on its way to disk - so the C(.sha256) needs no second read of the archive.
  - The archive is written under a per-run temp name (C(.<archive>.<random>.partial)) held under an exclusive C(flock),
    fsynced, checked (O(verify), O(read_back)) and renamed; the C(.sha256) is written only after that, so a C(.sha256)
    beside an archive means it passed the checks. On any failure (disk full included) the temp
    files are removed and the module fails naming the directory and the errno.
  - A run killed with SIGKILL leaves its temp file with nobody holding the lock; every run first removes such files from
    O(dest_dir) (RV(stale_removed)), while a live run's locked file stays.
  - The housekeeping that follows the archive runs in the same call, each step in RV(steps) - O(set_latest) points
    C(latest.tar.zst) (or C(.tar.gz)) in O(dest_dir) at the archive, O(staging) removes this run's staging
    directory (on success and on failure, so a failed run leaves no DB copy behind), and O(prune) applies the
    retention to O(dest_dir) (the same rules and selection as M(tgops.stack.backup_retention); the new archive is
    always kept). A failure in these steps names the step and keeps the archive (RV(archive) is returned with the
    failure); a failure while building returns no RV(archive).
  - This is a custom module because M(community.general.archive) has no manifest with per-member checksums, no checksum file,
    no redaction of env files and no zstd streaming, and can leave a partial archive behind when the disk fills up.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.retention
options:
  dest_dir:
    description:
      - Existing directory the archive and its C(.sha256) are written to.
    type: path
    required: true
  name:
    description:
      - File name stem of the archive, conventionally C(<stack>-<YYYYMMDDTHHMMSSZ>) (the form M(tgops.stack.backup_retention) reads).
    type: str
    required: true
  members:
    description:
      - What goes into the archive, in order. A directory is recursed (regular files only; symlinks are skipped and returned in
        RV(skipped)).
    type: list
    elements: dict
    required: true
    suboptions:
      src:
        description:
          - File or directory on the managed host.
        type: path
        required: true
      arcname:
        description:
          - Name in the archive (relative, no C(..)); default the basename of O(members[].src).
        type: str
  env_file:
    description:
      - Env file added as C(env.redacted) with keys only, values replaced by C(<redacted>); comments are dropped.
    type: path
  metadata:
    description:
      - Put into the manifest as C(metadata), for example engine, schema revision, git sha, compose sha256, stack name.
      - Never put a secret here.
    type: dict
    default: {}
  compression:
    description:
      - V(auto) picks zstd when the C(zstd) CLI or the Python C(zstandard) package is available on the managed host, else gzip.
      - The archive name says which was used, C(.tar.zst) or C(.tar.gz).
    type: str
    choices: [auto, zstd, gzip]
    default: auto
  mode:
    description:
      - Mode of the archive and its C(.sha256) file.
    type: raw
    default: '0600'
  zstd_cli:
    description:
      - Name or path of the zstd CLI; when it is not found, the Python C(zstandard) package is tried.
    type: str
    default: zstd
  verify:
    description:
      - Check the written archive before it is renamed and given its C(.sha256) - the compressor's exit status and the
        bytes on disk (after fsync) against the bytes written - and, with O(read_back), read it back in full.
      - V(false) skips the checks (the C(.sha256) then only says the write completed).
    type: bool
    default: true
  read_back:
    description:
      - With O(verify), also read the written archive back in full - decompress it, hash every member, compare with the
        manifest - before it gets its C(.sha256). About a third more time for a large archive.
      - Off by default - the members were hashed as they were archived and the archive as it was written, and
        M(tgops.stack.backup_verify) (the restore verification) reads the whole archive anyway.
    type: bool
    default: false
    version_added: 0.2.0
  progress_mib:
    description:
      - Add a line to RV(progress) every this many MiB of member data archived (and one at the end); V(0) turns the lines off.
        Run the task with C(async)/C(poll) to see that a long archive step is alive while it runs.
    type: int
    default: 64
  set_latest:
    description:
      - Once the archive is verified and has its C(.sha256), point C(latest.tar.zst) (or C(latest.tar.gz)) in O(dest_dir) at
        it - a relative symlink swapped in atomically, so a reader finds the old or the new archive, never none.
    type: bool
    default: false
    version_added: 0.2.0
  staging:
    description:
      - This run's staging directory (RV(tgops.stack.backup_staging#module:path)); removed when the archive step ends,
        whether it succeeded or failed. Only a C(.staging-*) directory of O(dest_dir) is accepted.
    type: path
    version_added: 0.2.0
  prune:
    description:
      - After the archive (and the link), delete the archives of O(stack) in O(dest_dir) beyond the retention
        (O(keep_last), O(keep_daily), O(keep_weekly)), each with its C(.sha256), as M(tgops.stack.backup_retention) does.
        This archive and the names in O(protect) are always kept. O(stack) defaults to the stack part of O(name).
      - Run it here when the archive is the last copy a backup makes (a local target); with an upload after it, prune
        after the upload, so a failing deletion never keeps a new archive from its off-site copy.
    type: bool
    default: false
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
    details:
      - In check mode nothing is written, linked or removed; the planned members, the archive path and the steps that
        would run are returned.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - When the archive and its C(.sha256) already exist, nothing is written and RV(ignore:changed=false) is returned
        (with RV(manifest=null)); use a new O(name) for a new backup.
seealso:
  - module: tgops.stack.backup_verify
  - module: tgops.stack.s3_backup
"""

EXAMPLES = r"""
- name: One archive with the DB copy, the uploads directory and the redacted env file
  tgops.stack.backup_archive:
    dest_dir: /var/backups/todo
    name: "todo-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}"
    members:
      - src: "{{ sqlite_copy.dest }}"
        arcname: db/organizer.db
      - src: /opt/mytgtodoist/canon
        arcname: canon
    env_file: /opt/mytgtodoist/.env.prod
    set_latest: true
    staging: "{{ staging.path }}"
    metadata:
      stack: todo
      engine: sqlite
      schema_version: "{{ sqlite_copy.schema_version }}"
      compose_sha256: "{{ stack_info.compose_sha256 | default('') }}"
  register: archive
"""

RETURN = r"""
transfers:
  description: The last progress line of the archive step (one element), for a journal entry.
  returned: when an archive was written
  type: list
  elements: str
progress:
  description: One line every O(progress_mib) MiB of member data archived and one at the end (bytes, share, time, rate).
  returned: when an archive was written
  type: list
  elements: str
  sample: ["archive todo-20261130T060000Z.tar.zst: 64.0 MiB of 1.00 GiB (6%) after 2.3 s, 27.8 MiB/s"]
archive:
  description: Path of the archive.
  returned: always
  type: str
  sample: /var/backups/todo/todo-20261122T060000Z.tar.zst
sha256_file:
  description: Path of the C(.sha256) file beside it.
  returned: always
  type: str
size_bytes:
  description: Size of the archive (C(null) in check mode).
  returned: always
  type: int
sha256:
  description: sha256 of the archive (C(null) in check mode).
  returned: always
  type: str
compression:
  description: V(zstd) or V(gzip).
  returned: always
  type: str
compressor:
  description: What compressed, V(zstd-cli), V(python-zstandard) or V(python-gzip).
  returned: always
  type: str
manifest:
  description: The manifest written as C(manifest.json) (C(null) in check mode or when the archive already existed).
  returned: always
  type: dict
  sample:
    format: tgops-backup
    format_version: 1
    created: '2026-11-22T06:00:00Z'
    members: [{name: db/organizer.db, size: 12288, sha256: 9f86d08...}]
    metadata: {stack: todo, engine: sqlite}
members_planned:
  description: In check mode, the members that would be written (name, size).
  returned: check mode
  type: list
  elements: dict
skipped:
  description: Symlinks and special files found in member directories and left out.
  returned: always
  type: list
  elements: str
verified:
  description: Whether the written archive was checked (O(verify)) before its C(.sha256) was written.
  returned: success
  type: bool
read_back:
  description: Whether it was also read back in full and checked against its manifest (O(read_back)).
  returned: success
  type: bool
  version_added: 0.2.0
stale_removed:
  description: Temp files of earlier runs that were killed, removed from O(dest_dir) before writing.
  returned: success
  type: list
  elements: str
latest:
  description: Path of the C(latest) link now pointing at the archive; C(null) without O(set_latest).
  returned: success
  type: str
  sample: /var/backups/todo/latest.tar.zst
  version_added: 0.2.0
retention:
  description:
    - With O(prune), what the retention kept and pruned (names, newest first), why each was kept, and the files
      deleted (RV(tgops.stack.backup_retention#module:removed)).
  returned: success and O(prune)
  type: dict
  sample: {keep: [todo-20261122T060000Z.tar.zst], prune: [todo-20261001T060000Z.tar.zst],
           reasons: {todo-20261122T060000Z.tar.zst: [last 7, newest verified]},
           removed: [/var/backups/todo/todo-20261001T060000Z.tar.zst, /var/backups/todo/todo-20261001T060000Z.tar.zst.sha256]}
  version_added: 0.2.0
staging_removed:
  description: The staging directory removed (O(staging)); C(null) when none was given or in check mode.
  returned: always
  type: str
  version_added: 0.2.0
steps:
  description: What the call did, in order (the archive, the latest link, the staging removal).
  returned: always
  type: list
  elements: str
  sample: ["wrote and verified /var/backups/todo/todo-20261122T060000Z.tar.zst", "pointed latest.tar.zst at it",
           "removed the staging directory /var/backups/todo/.staging-k2j3"]
  version_added: 0.2.0
duration_s:
  description: Seconds spent.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import archive_and_finish, zstandard
from ansible_collections.tgops.stack.plugins.module_utils.backup_retention import retention_argument_spec
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest_dir=dict(type='path', required=True),
            name=dict(type='str', required=True),
            members=dict(type='list', elements='dict', required=True,
                         options=dict(src=dict(type='path', required=True), arcname=dict(type='str'))),
            env_file=dict(type='path'),
            metadata=dict(type='dict', default={}),
            compression=dict(type='str', choices=['auto', 'zstd', 'gzip'], default='auto'),
            mode=dict(type='raw', default='0600'),
            zstd_cli=dict(type='str', default='zstd'),
            verify=dict(type='bool', default=True),
            progress_mib=dict(type='int', default=64),
            read_back=dict(type='bool', default=False),
            set_latest=dict(type='bool', default=False),
            staging=dict(type='path'),
            prune=dict(type='bool', default=False),
            **retention_argument_spec()
        ),
        supports_check_mode=True,
    )
    p = module.params
    zstd_cli = module.get_bin_path(p['zstd_cli']) if p['zstd_cli'] else None
    try:
        retention = {key: p[key] for key in retention_argument_spec()} if p['prune'] else None
        result = archive_and_finish(p['dest_dir'], p['name'], p['members'], set_latest=p['set_latest'], staging=p['staging'],
                                    retention=retention,
                                    check_mode=module.check_mode, env_file=p['env_file'], metadata=p['metadata'],
                                    compression=p['compression'], mode=p['mode'], zstd_cli=zstd_cli,
                                    has_zstandard=zstandard is not None, verify=p['verify'], progress_mib=p['progress_mib'],
                                    read_back=p['read_back'])
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
