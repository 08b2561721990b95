# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""s3_store against a real S3 API: a moto server started by the test on a free 127.0.0.1 port."""

from __future__ import annotations

import datetime
import io
import os
import socket
import time

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import create_archive
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import format_sha256_line
from ansible_collections.tgops.stack.plugins.module_utils.backup_verify import verify_archive
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.s3_store import (
    archive_suffix,
    connect,
    credentials,
    delete_archive,
    ensure_bucket_reachable,
    fetch_archive,
    latest_name,
    list_archives,
    object_key,
    probe_keys,
    prune_archives,
    s3_call,
    summarize_objects,
    upload_archive,
)

ACCESS = 'AKIAtgopsbkTEST'
SECRET = 'tgopsbk-secret-never-printed'


def test_pure_helpers():
    assert object_key('/sprint-bot/', 'a.tar.gz') == 'sprint-bot/a.tar.gz' and object_key('', 'a') == 'a'
    assert latest_name('todo-20261122T060000Z.tar.zst') == 'latest.tar.zst' and archive_suffix('x.tar.gz') == '.tar.gz'
    with pytest.raises(StackError, match='not a .tar.zst or .tar.gz'):
        latest_name('x.zip')
    env = {'S3_ACCESS_KEY': 'a', 'AWS_SECRET_ACCESS_KEY': 's'}
    assert credentials(None, None, env) == ('a', 's')
    assert credentials('x', 'y', env) == ('x', 'y')
    assert credentials(None, None, {}) == (None, None)
    objects = [{'Key': 'p/todo-20261122T060000Z.tar.zst', 'Size': 3, 'LastModified': datetime.datetime(2026, 11, 22)},
               {'Key': 'p/todo-20261122T060000Z.tar.zst.sha256', 'Size': 1},
               {'Key': 'p/latest.tar.zst', 'Size': 3}, {'Key': 'p/notes.txt', 'Size': 1}]
    archives, latest = summarize_objects(objects, lambda key: {'sha256': 'h', 'source-key': 'p/todo-20261122T060000Z.tar.zst'})
    assert archives == [{'key': 'p/todo-20261122T060000Z.tar.zst', 'name': 'todo-20261122T060000Z.tar.zst', 'size': 3,
                         'last_modified': '2026-11-22T00:00:00', 'sha256': 'h', 'created': '2026-11-22T06:00:00Z'}]
    assert latest['.tar.zst']['points_to'] == 'p/todo-20261122T060000Z.tar.zst'


def free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope='module')
def endpoint():
    server_mod = pytest.importorskip('moto.server')
    port = free_port()
    server = server_mod.ThreadedMotoServer(ip_address='127.0.0.1', port=port, verbose=False)
    server.start()
    url = 'http://127.0.0.1:%d' % port
    for _attempt in range(50):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    server.stop()


@pytest.fixture
def client(endpoint):
    pytest.importorskip('boto3')
    s3 = connect(endpoint, ACCESS, SECRET)
    s3.create_bucket(Bucket='backups')
    yield s3
    for obj in s3.list_objects_v2(Bucket='backups').get('Contents') or []:
        s3.delete_object(Bucket='backups', Key=obj['Key'])
    s3.delete_bucket(Bucket='backups')


def build(tmp_path, stamp, compression='gzip', size=9 * 1024 * 1024):
    data = tmp_path / ('data-%s.bin' % stamp)
    data.write_bytes(os.urandom(size))  # random: incompressible, so the archive is multipart-sized
    out = tmp_path / 'out'
    out.mkdir(exist_ok=True)
    return create_archive(str(out), 'sprint-%s' % stamp, [{'src': str(data), 'arcname': 'data.bin'}], compression=compression,
                          metadata={'stack': 'sprint'})


def test_upload_verify_latest_idempotent(client, tmp_path):
    first = build(tmp_path, '20261121T060000Z')
    planned = upload_archive(client, 'backups', 'sprint-bot', first['archive'], check_mode=True)
    assert planned['changed'] and planned['uploaded'] and planned['latest_moved']
    assert client.list_objects_v2(Bucket='backups').get('KeyCount') == 0
    result = upload_archive(client, 'backups', 'sprint-bot', first['archive'])
    assert result['changed'] and result['verified'] and result['latest_key'] == 'sprint-bot/latest.tar.gz'
    again = upload_archive(client, 'backups', 'sprint-bot', first['archive'])
    assert not again['changed'] and not again['uploaded'] and not again['latest_moved']

    second = build(tmp_path, '20261122T060000Z')
    upload_archive(client, 'backups', 'sprint-bot', second['archive'])
    listing = list_archives(client, 'backups', 'sprint-bot')
    assert [a['name'] for a in listing['archives']] == ['sprint-20261121T060000Z.tar.gz', 'sprint-20261122T060000Z.tar.gz']
    assert listing['archives'][1]['sha256'] == second['sha256'] and listing['archives'][1]['created'] == '2026-11-22T06:00:00Z'
    assert listing['latest']['points_to'] == 'sprint-bot/sprint-20261122T060000Z.tar.gz'
    assert listing['latest']['sha256'] == second['sha256']
    sha_body = client.get_object(Bucket='backups', Key='sprint-bot/latest.tar.gz.sha256')['Body'].read().decode()
    assert sha_body == format_sha256_line(second['sha256'], 'latest.tar.gz')

    # fetch latest, verify it like a restore drill would
    restore = tmp_path / 'restore'
    restore.mkdir()
    fetched = fetch_archive(client, 'backups', 'sprint-bot', str(restore / 'latest.tar.gz'))
    assert fetched['changed'] and fetched['key'] == 'sprint-bot/latest.tar.gz' and fetched['sha256'] == second['sha256']
    assert fetched['source_key'] == 'sprint-bot/sprint-20261122T060000Z.tar.gz'
    checked = verify_archive(str(restore / 'latest.tar.gz'), expect={'stack': 'sprint'})
    assert checked['ok'], checked['problems']
    assert not fetch_archive(client, 'backups', 'sprint-bot', str(restore / 'latest.tar.gz'))['changed']
    assert sorted(os.listdir(str(restore))) == ['latest.tar.gz', 'latest.tar.gz.sha256']

    # delete (retention) is idempotent and takes the .sha256 along
    gone = delete_archive(client, 'backups', 'sprint-bot', 'sprint-20261121T060000Z.tar.gz')
    assert gone['deleted'] == ['sprint-bot/sprint-20261121T060000Z.tar.gz', 'sprint-bot/sprint-20261121T060000Z.tar.gz.sha256']
    assert not delete_archive(client, 'backups', 'sprint-bot', 'sprint-20261121T060000Z.tar.gz')['changed']


def test_prune_keeps_what_latest_is_a_copy_of_and_only_the_stack_given(client, tmp_path):
    for stamp in ('20261120T060000Z', '20261121T060000Z', '20261122T060000Z', '20261119T060000Z'):
        upload_archive(client, 'backups', 'sprint-bot', build(tmp_path, stamp, size=1024)['archive'])  # latest: the 19th, uploaded last
    client.put_object(Bucket='backups', Key='sprint-bot/other-20261101T000000Z.tar.gz', Body=b'another stack')

    def stored():
        return sorted(o['Key'] for o in client.list_objects_v2(Bucket='backups', Prefix='sprint-bot/').get('Contents') or [])

    before = stored()
    planned = prune_archives(client, 'backups', 'sprint-bot', 'sprint', keep_last=1, keep_daily=0, keep_weekly=0,
                             protect=['sprint-20261121T060000Z.tar.gz'], check_mode=True)
    assert planned['prune'] == ['sprint-20261120T060000Z.tar.gz'], planned
    assert planned['deleted'] == ['sprint-bot/sprint-20261120T060000Z.tar.gz', 'sprint-bot/sprint-20261120T060000Z.tar.gz.sha256']
    assert planned['changed'] and stored() == before, 'check mode deletes nothing'
    assert planned['reasons']['sprint-20261119T060000Z.tar.gz'] == ['protected'], 'latest is a copy of it'
    assert 'last 1' in planned['reasons']['sprint-20261122T060000Z.tar.gz']

    done = prune_archives(client, 'backups', 'sprint-bot', 'sprint', keep_last=1, keep_daily=0, keep_weekly=0,
                          protect=['sprint-20261121T060000Z.tar.gz'])
    assert done['deleted'] == planned['deleted'] and stored() == [k for k in before if k not in done['deleted']]
    assert 'sprint-bot/other-20261101T000000Z.tar.gz' in stored(), 'another stack in the prefix is not touched'
    again = prune_archives(client, 'backups', 'sprint-bot', 'sprint', keep_last=1, keep_daily=0, keep_weekly=0,
                           protect=['sprint-20261121T060000Z.tar.gz'])
    assert not again['changed'] and again['deleted'] == [] and again['prune'] == []
    with pytest.raises(StackError, match='keep_last=-1, keep_daily=7, keep_weekly=4: a count below 0 is refused'):
        prune_archives(client, 'backups', 'sprint-bot', 'sprint', keep_last=-1)
    assert stored() == [k for k in before if k not in done['deleted']], 'a bad keep value deletes nothing'


def test_corrupt_local_archive_never_uploaded(client, tmp_path):
    built = build(tmp_path, '20261122T070000Z', size=1024)
    with open(built['archive'], 'ab') as handle:
        handle.write(b'junk')
    with pytest.raises(StackError, match='checksum mismatch.*nothing was uploaded'):
        upload_archive(client, 'backups', 'p', built['archive'])
    assert client.list_objects_v2(Bucket='backups').get('KeyCount') == 0


def test_fetch_without_latest_or_metadata(client, tmp_path):
    with pytest.raises(StackError, match='no latest.tar.zst or latest.tar.gz'):
        fetch_archive(client, 'backups', 'p', str(tmp_path / 'x.tar.gz'))
    client.put_object(Bucket='backups', Key='p/foreign.tar.gz', Body=b'abc')
    with pytest.raises(StackError, match='no sha256 metadata'):
        fetch_archive(client, 'backups', 'p', str(tmp_path / 'x.tar.gz'), key='foreign.tar.gz')


def test_missing_bucket_message(endpoint):
    pytest.importorskip('boto3')
    s3 = connect(endpoint, ACCESS, SECRET)
    with pytest.raises(StackError) as info:
        s3_call(endpoint, 'nope', 'bucket check', ensure_bucket_reachable, s3, 'nope', local='/b/x.tar.gz')
    assert 'bucket nope' in info.value.msg and 'the local archive /b/x.tar.gz is kept' in info.value.msg
    assert SECRET not in info.value.msg and ACCESS not in info.value.msg


def test_unreachable_endpoint_fails_fast():
    pytest.importorskip('boto3')
    url = 'http://127.0.0.1:%d' % free_port()
    s3 = connect(url, ACCESS, SECRET, connect_timeout=1, max_attempts=1)
    started = time.time()
    with pytest.raises(StackError) as info:
        s3_call(url, 'backups', 'bucket check', ensure_bucket_reachable, s3, 'backups', local='/b/x.tar.gz')
    assert time.time() - started < 10
    assert info.value.msg.startswith('S3 endpoint %s not reachable' % url)
    assert 'check the endpoint URL or the network; the local archive /b/x.tar.gz is kept' in info.value.msg
    assert SECRET not in info.value.msg and ACCESS not in info.value.msg


# -- the key probe, on an in-memory stand-in --

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
    with pytest.raises(StackError, match='differs'):
        probe_keys(client, 'b', 'p', 'm')
    assert client.objects == {}
