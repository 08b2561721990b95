# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup archives in any S3-compatible store (AWS, MinIO, moto): streamed upload/download, sha256 in object metadata,
a ``latest`` copy moved only after the upload was verified.

Credentials are never put in a message or a result.
"""

from __future__ import annotations

import hashlib
import os
import time
import traceback

from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import (
    CHUNK_SIZE,
    DATA_MODE,
    SHA256_RE,
    commit_partial,
    format_sha256_line,
    parse_sha256_line,
    partial_path,
    remove_quietly,
    sha256_file,
)
from ansible_collections.tgops.stack.plugins.module_utils.backup_retention import parse_archive_name, select_prunable
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.files import atomic_write
from ansible_collections.tgops.stack.plugins.module_utils.progress import DEFAULT_EVERY_MIB, TransferProgress
from ansible_collections.tgops.stack.plugins.module_utils.s3_options import s3_argument_spec  # noqa: F401  # pylint: disable=unused-import

BOTO3_IMPORT_ERROR = None
try:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError
except ImportError:  # pragma: no cover - depends on the managed host
    boto3 = None
    BOTO3_IMPORT_ERROR = traceback.format_exc()
    BotoCoreError = ClientError = ConnectTimeoutError = EndpointConnectionError = Exception

ARCHIVE_SUFFIXES = ('.tar.zst', '.tar.gz')
SHA_META = 'sha256'
SOURCE_META = 'source-key'
PART_SIZE = 8 * 1024 * 1024
ACCESS_KEY_VARS = ('AWS_ACCESS_KEY_ID', 'S3_ACCESS_KEY')
SECRET_KEY_VARS = ('AWS_SECRET_ACCESS_KEY', 'S3_SECRET_KEY')


# ---------------------------------------------------------------------------
# pure helpers
# ---------------------------------------------------------------------------

def credentials(access_key=None, secret_key=None, environ=None):
    """(access_key, secret_key): options first, else AWS_ACCESS_KEY_ID/S3_ACCESS_KEY and friends; (None, None) lets boto3 decide."""
    environ = os.environ if environ is None else environ
    access = access_key or next((environ[v] for v in ACCESS_KEY_VARS if environ.get(v)), None)
    secret = secret_key or next((environ[v] for v in SECRET_KEY_VARS if environ.get(v)), None)
    return access, secret


def object_key(prefix, name):
    prefix = (prefix or '').strip('/')
    return '%s/%s' % (prefix, name) if prefix else name


def archive_suffix(name):
    for suffix in ARCHIVE_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise StackError('%s is not a .tar.zst or .tar.gz archive; pass an archive built by tgops.stack.backup_archive' % name)


def latest_name(archive_name):
    """'latest.tar.zst' for 'todo-20261122T060000Z.tar.zst'."""
    return 'latest' + archive_suffix(archive_name)


def is_archive_key(key):
    return key.endswith(ARCHIVE_SUFFIXES)


def summarize_objects(objects, metadata_of):
    """Archives and the latest pointers of a listing: ([{key, name, size, last_modified, sha256, created}], {suffix: latest})."""
    archives = []
    latest = {}
    for obj in sorted(objects, key=lambda o: o['Key']):
        key = obj['Key']
        if not is_archive_key(key):
            continue
        name = key.rsplit('/', 1)[-1]
        meta = metadata_of(key)
        item = {'key': key, 'name': name, 'size': obj['Size'], 'last_modified': _iso(obj.get('LastModified')),
                'sha256': meta.get(SHA_META)}
        if name.startswith('latest.'):
            item['points_to'] = meta.get(SOURCE_META)
            latest[archive_suffix(name)] = item
            continue
        parsed = parse_archive_name(name)
        item['created'] = parsed['created_iso'] if parsed else None
        archives.append(item)
    return archives, latest


def _iso(moment):
    return moment.isoformat() if hasattr(moment, 'isoformat') else moment


# ---------------------------------------------------------------------------
# boto3 access
# ---------------------------------------------------------------------------

def connect(endpoint_url, access_key=None, secret_key=None, region='us-east-1', connect_timeout=5, read_timeout=60, max_attempts=2):
    """An S3 client with small timeouts and retries, so an unreachable endpoint fails fast."""
    access, secret = credentials(access_key, secret_key)
    config = Config(connect_timeout=connect_timeout, read_timeout=read_timeout, retries={'max_attempts': max_attempts, 'mode': 'standard'},
                    signature_version='s3v4', s3={'addressing_style': 'path'})
    return boto3.client('s3', endpoint_url=endpoint_url or None, aws_access_key_id=access, aws_secret_access_key=secret,
                        region_name=region, config=config)


def transfer_config():
    return TransferConfig(multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, max_concurrency=4, use_threads=True)


def s3_error(exc, endpoint_url, bucket, what, local=None):
    """A StackError with a clear message for a boto3/botocore exception; never names a key."""
    kept = '; the local archive %s is kept' % local if local else ''
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return StackError('S3 endpoint %s not reachable: %s; check the endpoint URL or the network%s'
                          % (endpoint_url or 'AWS default', exc, kept))
    if isinstance(exc, ClientError):
        code = exc.response.get('Error', {}).get('Code', '?')
        hint = {'NoSuchBucket': 'create the bucket or fix the bucket option',
                'InvalidAccessKeyId': 'check access_key (or AWS_ACCESS_KEY_ID)',
                'SignatureDoesNotMatch': 'check secret_key (or AWS_SECRET_ACCESS_KEY)',
                'AccessDenied': 'grant the credentials access to the bucket/prefix'}.get(code, 'check bucket, prefix and credentials')
        detail = exc.response.get('Error', {}).get('Message', '')
        return StackError('S3 %s in bucket %s at %s failed: %s (%s); %s%s' % (what, bucket, endpoint_url or 'AWS default', code, detail, hint, kept))
    return StackError('S3 %s in bucket %s at %s failed: %s%s' % (what, bucket, endpoint_url or 'AWS default', exc, kept))


def head(client, bucket, key):
    """{size, sha256, source, last_modified} of an object, or None when it does not exist."""
    try:
        resp = client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get('Error', {}).get('Code') in ('404', 'NoSuchKey', 'NotFound'):
            return None
        raise
    meta = resp.get('Metadata') or {}
    return {'size': resp['ContentLength'], 'sha256': meta.get(SHA_META), 'source': meta.get(SOURCE_META),
            'last_modified': _iso(resp.get('LastModified'))}


def stream_sha256(client, bucket, key, progress=None):
    """(sha256, size) of an object, downloaded in chunks (never held in memory); ``progress`` counts the bytes."""
    body = client.get_object(Bucket=bucket, Key=key)['Body']
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in body.iter_chunks(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    finally:
        body.close()
    return digest.hexdigest(), size


def _local_sha256(src):
    """sha256 of the archive from its .sha256 file, checked against the archive itself."""
    sha_path = src + '.sha256'
    try:
        with open(sha_path, encoding='utf-8') as handle:
            expected = parse_sha256_line(handle.read())[0]
    except (OSError, ValueError) as exc:
        raise StackError('src=%s has no valid checksum file %s (%s); build it with tgops.stack.backup_archive' % (src, sha_path, exc)) from exc
    digest, size = sha256_file(src)
    if digest != expected:
        raise StackError('refused: checksum mismatch: sha256 of %s is %s but %s says %s; the archive is corrupt, nothing was uploaded'
                         % (src, digest, sha_path, expected))
    return digest, size


def upload_archive(client, bucket, prefix, src, set_latest=True, verify=True, check_mode=False, progress_mib=DEFAULT_EVERY_MIB):
    """Upload ``src`` and its .sha256 under ``prefix``; optionally verify and move latest. Return the result dict.

    ``result['progress']`` holds a line every ``progress_mib`` MiB of the upload and of the verifying download.
    """
    started = time.time()
    src = os.path.abspath(os.path.expanduser(src))
    if not os.path.isfile(src):
        raise StackError('src=%s does not exist; pass the archive built by tgops.stack.backup_archive' % src)
    name = os.path.basename(src)
    suffix = archive_suffix(name)
    digest, size = _local_sha256(src)
    key = object_key(prefix, name)
    sha_key = key + '.sha256'
    latest_key = object_key(prefix, 'latest' + suffix)
    result = {'key': key, 'sha256_key': sha_key, 'size_bytes': size, 'sha256': digest, 'uploaded': False,
              'latest_key': latest_key if set_latest else None, 'latest_moved': False, 'verified': None, 'changed': False,
              'progress': [], 'transfers': []}
    current = head(client, bucket, key)
    if not (current and current['size'] == size and current['sha256'] == digest):
        result['uploaded'] = True
        if not check_mode:
            sent = TransferProgress('upload s3://%s/%s' % (bucket, key), size, progress_mib)
            client.upload_file(src, bucket, key, ExtraArgs={'Metadata': {SHA_META: digest}}, Config=transfer_config(), Callback=sent)
            result['progress'] += sent.finish()
            result['transfers'].append(sent.line())
    sha_current = head(client, bucket, sha_key)
    if sha_current is None or sha_current['sha256'] != digest:
        result['uploaded'] = True
        if not check_mode:
            client.put_object(Bucket=bucket, Key=sha_key, Body=format_sha256_line(digest, name).encode('utf-8'),
                              Metadata={SHA_META: digest}, ContentType='text/plain')
    if set_latest:
        current_latest = head(client, bucket, latest_key)
        result['latest_moved'] = not (current_latest and current_latest['sha256'] == digest and current_latest['source'] == key)
    if verify and not check_mode and (result['uploaded'] or result['latest_moved']):
        read_back = TransferProgress('verify s3://%s/%s' % (bucket, key), size, progress_mib)
        remote_digest, remote_size = stream_sha256(client, bucket, key, read_back)
        result['progress'] += read_back.finish()
        result['transfers'].append(read_back.line())
        if (remote_digest, remote_size) != (digest, size):
            raise StackError('refused to move latest: the uploaded %s has sha256 %s (%d bytes) but the local archive %s has %s (%d bytes); '
                             'retry the upload' % (key, remote_digest, remote_size, src, digest, size))
        result['verified'] = True
    if result['latest_moved'] and not check_mode:
        # Server-side copy (multipart for large objects); each object is replaced atomically by S3.
        client.copy({'Bucket': bucket, 'Key': key}, bucket, latest_key,
                    ExtraArgs={'Metadata': {SHA_META: digest, SOURCE_META: key}, 'MetadataDirective': 'REPLACE'},
                    Config=transfer_config())
        client.put_object(Bucket=bucket, Key=latest_key + '.sha256', Body=format_sha256_line(digest, 'latest' + suffix).encode('utf-8'),
                          Metadata={SHA_META: digest, SOURCE_META: key}, ContentType='text/plain')
    result['changed'] = result['uploaded'] or result['latest_moved']
    result['duration_s'] = round(time.time() - started, 3)
    return result


def delete_archive(client, bucket, prefix, key, check_mode=False):
    """Delete one archive (``key`` relative to ``prefix``) and its .sha256; return the result dict."""
    full = object_key(prefix, key)
    deleted = []
    for target in (full, full + '.sha256'):
        if head(client, bucket, target) is not None:
            deleted.append(target)
            if not check_mode:
                client.delete_object(Bucket=bucket, Key=target)
    return {'key': full, 'deleted': deleted, 'changed': bool(deleted)}


def prune_archives(client, bucket, prefix, stack=None, keep_last=7, keep_daily=7, keep_weekly=4, protect=None, check_mode=False):
    """Apply the retention (backup_retention.select_prunable) to the archives under ``prefix`` in one pass.

    Lists the archives, selects what to keep, and deletes each pruned archive with its .sha256. The archives the latest
    pointers are copies of are always kept, beside ``protect``. Returns {keep, prune, reasons, deleted, changed, duration_s};
    in check mode ``deleted`` holds what would be deleted.
    """
    started = time.time()
    listing = list_archives(client, bucket, prefix)
    archives = [a for a in listing['archives'] if not stack or (parse_archive_name(a['name']) or {}).get('stack') == stack]
    pointed = [p['points_to'].rsplit('/', 1)[-1] for p in listing['latest_all'] if p.get('points_to')]
    selection = select_prunable(archives, keep_last, keep_daily, keep_weekly, protect=list(protect or []) + pointed)
    deleted = []
    for name in selection['prune']:
        deleted.extend(delete_archive(client, bucket, prefix, name, check_mode)['deleted'])
    return dict(selection, deleted=deleted, changed=bool(deleted), duration_s=round(time.time() - started, 3))


def resolve_fetch_key(client, bucket, prefix, key=None):
    """The object key to fetch: ``key`` under ``prefix``, or the newest of latest.tar.zst / latest.tar.gz."""
    if key:
        return object_key(prefix, key)
    found = []
    for suffix in ARCHIVE_SUFFIXES:
        info = head(client, bucket, object_key(prefix, 'latest' + suffix))
        if info is not None:
            found.append((info['last_modified'] or '', object_key(prefix, 'latest' + suffix)))
    if not found:
        raise StackError('no latest.tar.zst or latest.tar.gz under s3://%s/%s; pass key or upload with set_latest=true' % (bucket, prefix or ''))
    return sorted(found)[-1][1]


def fetch_archive(client, bucket, prefix, dest, key=None, check_mode=False, progress_mib=DEFAULT_EVERY_MIB):
    """Download an archive to ``dest`` (atomically, streamed), check its sha256 metadata, write ``<dest>.sha256``.

    ``result['progress']`` holds a line every ``progress_mib`` MiB of the download.
    """
    started = time.time()
    dest = os.path.abspath(os.path.expanduser(dest))
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        raise StackError('dest=%s: directory %s does not exist; create it first' % (dest, directory))
    full = resolve_fetch_key(client, bucket, prefix, key)
    info = head(client, bucket, full)
    if info is None:
        raise StackError('s3://%s/%s does not exist; check key and prefix (see tgops.stack.s3_backup_info)' % (bucket, full))
    expected = info['sha256']
    if not expected or not SHA256_RE.match(expected):
        raise StackError('s3://%s/%s has no sha256 metadata; it was not uploaded by tgops.stack.s3_backup, refusing to trust it' % (bucket, full))
    result = {'key': full, 'dest': dest, 'sha256_file': dest + '.sha256', 'sha256': expected, 'size_bytes': info['size'],
              'source_key': info['source'], 'changed': True, 'progress': [], 'transfers': []}
    if os.path.isfile(dest) and os.path.getsize(dest) == info['size'] and sha256_file(dest)[0] == expected:
        result['changed'] = False
    if check_mode or not result['changed']:
        if not check_mode and not os.path.exists(dest + '.sha256'):
            atomic_write(dest + '.sha256', format_sha256_line(expected, os.path.basename(dest)).encode('utf-8'), mode=DATA_MODE)
            result['changed'] = True
        result['duration_s'] = round(time.time() - started, 3)
        return result
    tmp = partial_path(dest)
    try:
        got = TransferProgress('download s3://%s/%s' % (bucket, full), info['size'], progress_mib)
        client.download_file(bucket, full, tmp, Config=transfer_config(), Callback=got)
        result['progress'] = got.finish()
        result['transfers'] = [got.line()]
        digest, _size = sha256_file(tmp)
        if digest != expected:
            raise StackError('checksum mismatch: downloaded s3://%s/%s has sha256 %s, its metadata says %s; nothing was kept'
                             % (bucket, full, digest, expected))
        commit_partial(tmp, dest)
        tmp = None
        atomic_write(dest + '.sha256', format_sha256_line(expected, os.path.basename(dest)).encode('utf-8'), mode=DATA_MODE)
    finally:
        if tmp is not None:
            remove_quietly(tmp)
    result['duration_s'] = round(time.time() - started, 3)
    return result


def list_archives(client, bucket, prefix):
    """Archives under ``prefix`` with their sha256 metadata, and the latest pointer(s)."""
    objects = []
    paginator = client.get_paginator('list_objects_v2')
    base = (prefix or '').strip('/')
    for page in paginator.paginate(Bucket=bucket, Prefix=base + '/' if base else ''):
        objects.extend(page.get('Contents') or [])

    def metadata_of(key):
        info = head(client, bucket, key) or {}
        return {SHA_META: info.get('sha256'), SOURCE_META: info.get('source')}

    archives, latest = summarize_objects(objects, metadata_of)
    pointer = None
    if latest:
        pointer = sorted(latest.values(), key=lambda i: i['last_modified'] or '')[-1]
    return {'archives': archives, 'latest': pointer, 'latest_all': sorted(latest.values(), key=lambda i: i['key']),
            'count': len(archives)}


def ensure_bucket_reachable(client, bucket):
    """HEAD the bucket; raises the botocore error (turned into a message by s3_error)."""
    client.head_bucket(Bucket=bucket)


def s3_call(endpoint_url, bucket, what, func, *args, **kwargs):
    """Run ``func`` turning boto3/botocore errors into StackError (local archive mentioned by ``local=``)."""
    local = kwargs.pop('local', None)
    try:
        return func(*args, **kwargs)
    except StackError:
        raise
    except (BotoCoreError, ClientError) as exc:
        raise s3_error(exc, endpoint_url, bucket, what, local) from None
    except OSError as exc:
        raise StackError('S3 %s: local file error [Errno %s] %s' % (what, exc.errno, exc.strerror or exc)) from None


def client_from_params(params):
    return connect(params['endpoint_url'], params['access_key'], params['secret_key'], params['region'],
                   connect_timeout=params['connect_timeout'], max_attempts=params['max_attempts'])


PROBE_NAME = '.tgops-key-probe'


def probe_keys(client, bucket, prefix, marker):
    """Put, read back and delete a small probe object under the prefix; raises BotoCoreError/ClientError or StackError."""
    key = object_key(prefix, PROBE_NAME)
    body = ('tgops key probe %s' % marker).encode()
    client.put_object(Bucket=bucket, Key=key, Body=body)
    try:
        got = client.get_object(Bucket=bucket, Key=key)['Body'].read()
    finally:
        client.delete_object(Bucket=bucket, Key=key)
    if got != body:
        raise StackError('S3 probe in bucket %s: the object read back differs from what was written' % bucket)
    return {'key': key, 'steps': ['put', 'get', 'delete']}
