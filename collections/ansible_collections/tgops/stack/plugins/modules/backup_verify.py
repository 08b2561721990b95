#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_verify
short_description: Verify a backup archive end to end and optionally extract it safely
version_added: 0.1.0
description:
  - Checks the archive against its C(<archive>.sha256) file, then decompresses and reads the tar as a stream, re-hashing every
    member and comparing it with C(manifest.json) (missing, extra, size and sha256 differences), and compares the manifest's
    metadata with O(expect).
  - The compression (zstd or gzip) is detected from the file's first bytes, not its name.
  - With O(extract_to), members are extracted (files C(0600), directories C(0700)) into a temporary directory beside it that is
    renamed to O(extract_to) only when everything verified; absolute names, C(..) and non-regular members (symlinks,
    devices) are refused. A truncated or corrupt archive extracts nothing.
  - The module fails when any problem is found (for example C(checksum mismatch)); RV(problems) lists them.
  - This is a custom module because no well-kept module verifies an archive against a manifest of per-member checksums;
    M(ansible.builtin.unarchive) extracts without verifying and can leave a partial tree behind.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
options:
  archive:
    description:
      - Path of the C(.tar.zst) or C(.tar.gz) archive; C(<archive>.sha256) must sit beside it.
    type: path
    required: true
  extract_to:
    description:
      - Directory to extract into; it must not exist, or be empty, or already hold exactly the archive's members (then nothing
        is written).
    type: path
  expect:
    description:
      - "Values the manifest's C(metadata) must have (compared as strings), for example C({stack: todo, engine: sqlite})."
    type: dict
    default: {}
  zstd_cli:
    description:
      - Name or path of the zstd CLI, used when the Python C(zstandard) package is not available.
    type: str
    default: zstd
attributes:
  check_mode:
    support: full
    details:
      - In check mode the archive is verified but nothing is extracted.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - Verifying never changes anything; extracting again into a directory that already holds the same members reports
        RV(ignore:changed=false).
seealso:
  - module: tgops.stack.backup_archive
  - module: tgops.stack.s3_backup
"""

EXAMPLES = r"""
- name: Verify the archive just built
  tgops.stack.backup_verify:
    archive: "{{ archive.archive }}"
    expect:
      stack: todo
      engine: sqlite

- name: Restore drill - verify and extract a downloaded archive
  tgops.stack.backup_verify:
    archive: /var/tmp/restore/latest.tar.zst
    extract_to: /var/tmp/restore/extracted
  register: restored
"""

RETURN = r"""
ok:
  description: Whether no problem was found (always V(true) on success, the module fails otherwise).
  returned: always
  type: bool
problems:
  description: Everything found wrong.
  returned: always
  type: list
  elements: str
  sample: ['checksum mismatch: sha256 of /b/todo.tar.zst is 1f... but /b/todo.tar.zst.sha256 says 9a...']
manifest:
  description: The archive's manifest (C(null) when it could not be read).
  returned: always
  type: dict
members_checked:
  description: Manifest members found in the archive and re-hashed.
  returned: always
  type: int
sha256:
  description: sha256 of the archive file.
  returned: always
  type: str
compression:
  description: V(zstd) or V(gzip), from the file's magic bytes.
  returned: always
  type: str
extracted_to:
  description: The directory holding the extracted members, C(null) when nothing was extracted.
  returned: always
  type: str
duration_s:
  description: Seconds spent.
  returned: always
  type: float
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import zstandard
from ansible_collections.tgops.stack.plugins.module_utils.backup_verify import verify_archive
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            archive=dict(type='path', required=True),
            extract_to=dict(type='path'),
            expect=dict(type='dict', default={}),
            zstd_cli=dict(type='str', default='zstd'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    zstd_cli = module.get_bin_path(p['zstd_cli']) if p['zstd_cli'] else None
    try:
        result = verify_archive(p['archive'], p['extract_to'], p['expect'], zstd_cli=zstd_cli, has_zstandard=zstandard is not None,
                                check_mode=module.check_mode)
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    if not result['ok']:
        module.fail_json(msg='archive %s failed verification: %s' % (result['archive'], '; '.join(result['problems'])), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
