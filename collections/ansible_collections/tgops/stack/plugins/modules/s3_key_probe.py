#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: s3_key_probe
short_description: Prove S3 keys can put, read and delete under a prefix before they are put into service
version_added: 0.1.0
description:
  - Writes a small object C(<prefix>/.tgops-key-probe) with the given keys, reads it back, deletes it. The bucket is
    left as it was, so the probe also runs in check mode.
  - A store that rejects the keys does not fail the module; RV(ok) is false and RV(error_code) / RV(message) say why
    (C(InvalidAccessKeyId), C(SignatureDoesNotMatch), C(AccessDenied) ...), so the caller can refuse with its own words.
  - Custom because M(amazon.aws.s3_object) reports a rejected key as a generic permission error from its bucket check
    and shows the access key id in verbose output; the rotation needs the store's own error code and no key shown.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.s3_store
  - tgops.stack.attributes
attributes:
  check_mode:
    support: full
    details:
      - The probe runs in check mode too; it leaves the bucket as it was.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - Always returns RV(ignore:changed=false).
"""

EXAMPLES = r"""
- name: Check the new keys before they go into the env file
  tgops.stack.s3_key_probe:
    endpoint_url: http://127.0.0.1:9000
    bucket: tgops-backups
    prefix: sprint-bot
    access_key: "{{ new_access_key }}"
    secret_key: "{{ new_secret_key }}"
  register: probe
"""

RETURN = r"""
ok:
  description: True when put, get and delete all worked and the object read back was the one written.
  returned: always
  type: bool
error_code:
  description: The store's error code (for example C(InvalidAccessKeyId)), empty on success.
  returned: always
  type: str
message:
  description: What failed, with a hint; never holds a key.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.s3_store import (
    BOTO3_IMPORT_ERROR,
    client_from_params,
    probe_keys,
    s3_argument_spec,
    s3_call,
)


def main():
    module = AnsibleModule(argument_spec=s3_argument_spec(), supports_check_mode=True)
    if BOTO3_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('boto3'), exception=BOTO3_IMPORT_ERROR)
    p = module.params
    result = dict(changed=False, ok=False, error_code='', message='')
    try:
        client = client_from_params(p)
        s3_call(p['endpoint_url'], p['bucket'], 'key probe (put, get, delete)', probe_keys, client, p['bucket'], p['prefix'], 'probe')
        result['ok'] = True
    except StackError as exc:
        result['message'] = exc.msg
        for code in ('InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'NoSuchBucket', 'not reachable'):
            if code in exc.msg:
                result['error_code'] = code
                break
    module.exit_json(**result)


if __name__ == '__main__':
    main()
