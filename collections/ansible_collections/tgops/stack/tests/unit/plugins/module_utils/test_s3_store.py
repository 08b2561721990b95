# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import io

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import BackupError
from ansible_collections.tgops.stack.plugins.module_utils.s3_store import probe_keys


class _ProbeClient:
    """In-memory stand-in for the three S3 calls of the key probe."""

    def __init__(self, corrupt=False):
        self.objects, self.corrupt, self.calls = {}, corrupt, []

    def put_object(self, Bucket, Key, Body):
        self.calls.append(('put', Key))
        self.objects[Key] = Body

    def get_object(self, Bucket, Key):
        self.calls.append(('get', Key))
        return {'Body': io.BytesIO(b'x' if self.corrupt else self.objects[Key])}

    def delete_object(self, Bucket, Key):
        self.calls.append(('delete', Key))
        self.objects.pop(Key, None)


def test_probe_keys_leaves_the_bucket_as_it_was():
    client = _ProbeClient()
    assert probe_keys(client, 'b', 'sprint-bot', 'm')['key'] == 'sprint-bot/.tgops-key-probe'
    assert [c[0] for c in client.calls] == ['put', 'get', 'delete'] and client.objects == {}


def test_probe_keys_refuses_a_different_read_back_and_still_deletes():
    client = _ProbeClient(corrupt=True)
    with pytest.raises(BackupError, match='differs'):
        probe_keys(client, 'b', 'p', 'm')
    assert client.objects == {}
