# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options that reach the S3 (or S3-compatible) backup store."""

    DOCUMENTATION = r"""
options:
  endpoint_url:
    description:
      - URL of the S3-compatible endpoint, for example V(http://127.0.0.1:9000) (MinIO, moto); omit for AWS.
    type: str
  bucket:
    description:
      - Bucket name; it must exist.
    type: str
    required: true
  prefix:
    description:
      - Key prefix of the stack's archives, for example V(sprint-bot); archives are C(<prefix>/<archive name>).
    type: str
    default: ''
  access_key:
    description:
      - Access key; when omitted, E(AWS_ACCESS_KEY_ID) or E(S3_ACCESS_KEY) of the module's environment, else boto3's usual lookup.
      - Never returned or printed.
    type: str
  secret_key:
    description:
      - Secret key; when omitted, E(AWS_SECRET_ACCESS_KEY) or E(S3_SECRET_KEY) of the module's environment, else boto3's usual lookup.
      - Never returned or printed.
    type: str
  region:
    description:
      - Region name used for signing.
    type: str
    default: us-east-1
  connect_timeout:
    description:
      - Seconds to wait for a connection; kept small so an unreachable endpoint fails fast.
    type: int
    default: 5
  max_attempts:
    description:
      - Total attempts per request (botocore C(standard) retry mode).
    type: int
    default: 2
requirements:
  - boto3 on the managed host.
attributes:
  action_group:
    description: Use C(group/tgops.stack.s3) in C(module_defaults) to set the store's options once for every module of the group.
    support: full
    membership:
      - tgops.stack.s3
"""
