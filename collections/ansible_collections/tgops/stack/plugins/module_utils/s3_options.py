# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Options of the S3 backup store, apart from s3_store so a module can declare them without importing boto3."""

from __future__ import annotations


def s3_argument_spec():
    """argument_spec entries shared by s3_backup and s3_backup_info."""
    return dict(
        endpoint_url=dict(type='str'),
        bucket=dict(type='str', required=True),
        prefix=dict(type='str', default=''),
        access_key=dict(type='str', no_log=True),
        secret_key=dict(type='str', no_log=True),
        region=dict(type='str', default='us-east-1'),
        connect_timeout=dict(type='int', default=5),
        max_attempts=dict(type='int', default=2),
    )
