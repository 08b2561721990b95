#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_backup_info
short_description: List the backup archives of a stack in S3 and which one latest points to
version_added: 0.1.0
description:
  - Lists the C(.tar.zst)/C(.tar.gz) archives under O(prefix) with size, last modification, the sha256 kept in their metadata
    and the creation time parsed from the name (C(<stack>-YYYYMMDDTHHMMSSZ)), and which archive C(latest.tar.*) is a copy of
    (by its metadata).
  - RV(archives) can be fed to M(tgops.stack.backup_retention) (O(tgops.stack.backup_retention#module:archives)) to choose what to prune.
  - This is a custom module because M(amazon.aws.s3_object_info) does not know which archive the C(latest) copy stands for, and
    the C(latest) pointer itself is written only by M(tgops.stack.s3_backup).
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
  - tgops.stack.s3_store
seealso:
  - module: tgops.stack.s3_backup
  - module: tgops.stack.backup_retention
"""

EXAMPLES = r"""
- name: What is stored?
  tgops.stack.s3_backup_info:
    endpoint_url: http://127.0.0.1:9000
    bucket: backups
    prefix: sprint-bot
  register: stored

- name: Latest must be the archive just uploaded
  ansible.builtin.assert:
    that: stored.latest.points_to == upload.key
"""

RETURN = r"""
archives:
  description: Archives under the prefix, sorted by key (the C(latest.*) copies excluded).
  returned: success
  type: list
  elements: dict
  contains:
    key:
      description: Object key.
      type: str
    name:
      description: Archive file name.
      type: str
    size:
      description: Size in bytes.
      type: int
    last_modified:
      description: Last modification (ISO 8601).
      type: str
    sha256:
      description: sha256 from the object metadata (C(null) when not uploaded by M(tgops.stack.s3_backup)).
      type: str
    created:
      description: Creation time from the name, C(null) when the name has no stamp.
      type: str
latest:
  description: The newest C(latest.tar.*) copy, C(null) when there is none.
  returned: success
  type: dict
  contains:
    key:
      description: Object key of the latest copy.
      type: str
    points_to:
      description: Key of the archive it is a copy of.
      type: str
    sha256:
      description: sha256 from its metadata.
      type: str
    size:
      description: Size in bytes.
      type: int
    last_modified:
      description: Last modification (ISO 8601).
      type: str
latest_all:
  description: Every C(latest.tar.*) copy (one per compression), sorted by key.
  returned: success
  type: list
  elements: dict
count:
  description: Number of archives.
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.s3_store import (
    BOTO3_IMPORT_ERROR,
    client_from_params,
    ensure_bucket_reachable,
    list_archives,
    s3_argument_spec,
    s3_call,
)


def main():
    module = AnsibleModule(argument_spec=s3_argument_spec(), supports_check_mode=True)
    if BOTO3_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('boto3'), exception=BOTO3_IMPORT_ERROR)
    p = module.params
    try:
        client = client_from_params(p)
        s3_call(p['endpoint_url'], p['bucket'], 'bucket check', ensure_bucket_reachable, client, p['bucket'])
        result = s3_call(p['endpoint_url'], p['bucket'], 'listing', list_archives, client, p['bucket'], p['prefix'])
    except StackError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
