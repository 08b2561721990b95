# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backup manifest, checksum files, safe member names and atomic-file helpers (streaming, no whole-file reads)."""

from __future__ import annotations

import datetime
import errno
import hashlib
import json
import os
import posixpath
import re
import tempfile

from ansible_collections.tgops.stack.plugins.module_utils.errors import utc_now
from ansible_collections.tgops.stack.plugins.module_utils.files import fsync_dir

FORMAT = 'tgops-backup'
FORMAT_VERSION = 1
MANIFEST_NAME = 'manifest.json'
CHUNK_SIZE = 1024 * 1024
DATA_MODE = 0o600
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
SHA256_RE = re.compile(r'^[0-9a-f]{64}$')
STAMP_FORMAT = '%Y%m%dT%H%M%SZ'


def iso_utc(moment):
    """'2026-11-22T06:00:00Z' of an aware (or naive UTC) datetime."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + 'Z'


def utc_stamp(moment):
    """'20261122T060000Z', the stamp used in archive names."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime(STAMP_FORMAT)


def sha256_stream(handle, chunk_size=CHUNK_SIZE):
    """(hex digest, byte count) of a binary stream, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    while True:
        block = handle.read(chunk_size)
        if not block:
            break
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def sha256_file(path, chunk_size=CHUNK_SIZE):
    """(hex digest, byte count) of a file, read in chunks."""
    with open(path, 'rb') as handle:
        return sha256_stream(handle, chunk_size)


def format_sha256_line(hexdigest, basename):
    """One line in the format of ``sha256sum`` (two spaces: text mode), so ``sha256sum -c`` accepts it."""
    if not SHA256_RE.match(hexdigest or ''):
        raise ValueError('not a sha256 hex digest: %r' % (hexdigest,))
    if '/' in basename or '\n' in basename or not basename:
        raise ValueError('not a plain file name: %r' % (basename,))
    return '%s  %s\n' % (hexdigest, basename)


def parse_sha256_line(text):
    """(hex digest, file name) from the first line of a ``sha256sum`` style file; raise ValueError when malformed."""
    line = (text or '').strip().splitlines()[0] if (text or '').strip() else ''
    match = re.match(r'^([0-9a-fA-F]{64}) [ *](.+)$', line)
    if not match:
        raise ValueError('not a "<sha256>  <name>" line: %r' % line[:100])
    return match.group(1).lower(), match.group(2)


def safe_member_name(name):
    """The normalized relative POSIX name of an archive member, or ValueError for absolute, empty or ``..`` names."""
    if not isinstance(name, str) or not name or '\x00' in name:
        raise ValueError('empty or invalid member name %r' % (name,))
    if name.startswith('/') or name.startswith('\\') or re.match(r'^[A-Za-z]:', name):
        raise ValueError('absolute member name %r' % name)
    parts = name.replace('\\', '/').split('/')
    if '..' in parts:
        raise ValueError('member name %r contains ..' % name)
    normalized = posixpath.normpath('/'.join(parts))
    if normalized in ('.', '') or normalized.startswith('../'):
        raise ValueError('member name %r does not name a file' % name)
    return normalized


def build_manifest(members, metadata=None, created=None):
    """The manifest dict: format, version, created (UTC), members [{name, size, sha256}] and metadata."""
    return {
        'format': FORMAT,
        'format_version': FORMAT_VERSION,
        'created': iso_utc(created or utc_now()),
        'members': [{'name': m['name'], 'size': int(m['size']), 'sha256': m['sha256']} for m in members],
        'metadata': dict(metadata or {}),
    }


def manifest_bytes(manifest):
    return (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + '\n').encode('utf-8')


def parse_manifest(data):
    """Parse and validate manifest bytes/text; raise ValueError naming what is wrong."""
    if isinstance(data, bytes):
        data = data.decode('utf-8')
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise ValueError('manifest.json is not valid JSON: %s' % exc) from exc
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise ValueError('manifest.json is not a %s manifest' % FORMAT)
    if manifest.get('format_version') != FORMAT_VERSION:
        raise ValueError('manifest.json format_version %r is not supported (expected %d)' % (manifest.get('format_version'), FORMAT_VERSION))
    members = manifest.get('members')
    if not isinstance(members, list):
        raise ValueError('manifest.json has no members list')
    for member in members:
        if not isinstance(member, dict) or not SHA256_RE.match(str(member.get('sha256', ''))) or not isinstance(member.get('size'), int):
            raise ValueError('manifest.json member %r lacks name/size/sha256' % (member,))
        safe_member_name(member.get('name'))
    if not isinstance(manifest.get('metadata', {}), dict):
        raise ValueError('manifest.json metadata is not a mapping')
    return manifest


def compare_expect(metadata, expect):
    """Problems (list of str) where ``metadata`` differs from ``expect`` (values compared as strings)."""
    problems = []
    for key in sorted(expect or {}):
        if key not in metadata:
            problems.append('manifest metadata has no %s (expected %r)' % (key, expect[key]))
        elif str(metadata[key]) != str(expect[key]):
            problems.append('manifest metadata %s is %r, expected %r' % (key, metadata[key], expect[key]))
    return problems


def compare_members(manifest_members, seen):
    """Problems between the manifest's members and ``seen`` {name: (size, sha256)} read from the archive."""
    problems = []
    listed = {}
    for member in manifest_members:
        listed[member['name']] = member
    for name in sorted(listed):
        member = listed[name]
        if name not in seen:
            problems.append('member %s listed in the manifest is missing from the archive' % name)
            continue
        size, digest = seen[name]
        if size != member['size']:
            problems.append('member %s: size %d, manifest says %d' % (name, size, member['size']))
        if digest != member['sha256']:
            problems.append('member %s: checksum mismatch (sha256 %s, manifest says %s)' % (name, digest, member['sha256']))
    for name in sorted(set(seen) - set(listed)):
        problems.append('member %s is in the archive but not in the manifest' % name)
    return problems


# ---------------------------------------------------------------------------
# atomic files: temp name in the same directory, fsync, os.replace; removed on failure
# ---------------------------------------------------------------------------

def partial_path(dest):
    """A new, empty, mode-0600 temp file beside ``dest`` (same filesystem, so os.replace is atomic)."""
    directory = os.path.dirname(os.path.abspath(dest))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(dest), suffix='.partial')
    os.close(fd)
    os.chmod(tmp, DATA_MODE)
    return tmp


def remove_quietly(*paths):
    for path in paths:
        if not path:
            continue
        try:
            os.unlink(path)
        except OSError:
            pass


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_partial(tmp, dest, mode=DATA_MODE):
    """fsync ``tmp``, set ``mode`` and rename it to ``dest`` atomically."""
    fsync_path(tmp)
    os.chmod(tmp, mode)
    os.replace(tmp, dest)
    fsync_dir(os.path.dirname(os.path.abspath(dest)))


def os_error_message(action, path, exc):
    """'<action> in <dir> failed: [Errno 28 ENOSPC] No space left on device' style text."""
    code = getattr(exc, 'errno', None)
    name = ''
    if code is not None:
        name = ' %s' % errno.errorcode.get(code, '')
    return '%s (%s) failed: [Errno %s%s] %s' % (action, path, code, name, getattr(exc, 'strerror', None) or exc)
