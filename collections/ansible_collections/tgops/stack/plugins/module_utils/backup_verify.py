# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify one backup archive end to end and optionally extract it safely: the logic of the backup_verify module.

The checksum file, every member against the manifest (streamed, see ``backup_archive.read_archive``, which the
archive writer's read-back uses too; the file's sha256 is taken in the same pass, so the archive is read
once) and the manifest's metadata against ``expect``. Extraction goes to a temporary
directory beside ``extract_to`` that is renamed only when everything verified.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time

from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import read_archive
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import (
    MANIFEST_NAME,
    compare_expect,
    compare_members,
    fsync_dir,
    parse_sha256_line,
    sha256_file,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def check_extracted_dir(directory, manifest):
    """Problems between the files under ``directory`` and the manifest (for an idempotent re-extract)."""
    seen = {}
    for root, _dirs, names in os.walk(directory):
        for fname in names:
            full = os.path.join(root, fname)
            rel = os.path.relpath(full, directory).replace(os.sep, '/')
            if rel == MANIFEST_NAME:
                continue
            digest, size = sha256_file(full)
            seen[rel] = (size, digest)
    return compare_members(manifest['members'], seen)


def verify_archive(archive, extract_to=None, expect=None, zstd_cli=None, has_zstandard=None, check_mode=False):
    """Verify ``archive`` (checksum file, every member against the manifest, ``expect``) and optionally extract it.

    Extraction goes to a temporary directory beside ``extract_to`` that is renamed only when everything verified.
    """
    started = time.time()
    archive = os.path.abspath(os.path.expanduser(archive))
    result = {'archive': archive, 'ok': False, 'problems': [], 'manifest': None, 'members_checked': 0, 'sha256': None,
              'compression': None, 'extracted_to': None, 'changed': False}
    problems = result['problems']
    if not os.path.isfile(archive):
        raise StackError('archive=%s does not exist; fix the path (see backup_archive\'s archive result)' % archive)
    sha_path = archive + '.sha256'
    try:
        with open(sha_path, encoding='utf-8') as handle:
            expected, _name = parse_sha256_line(handle.read())
    except OSError as exc:
        problems.append('checksum file %s cannot be read (%s)' % (sha_path, exc.strerror or exc))
        expected = None
    except ValueError as exc:
        problems.append('checksum file %s is malformed: %s' % (sha_path, exc))
        expected = None
    if problems:
        result['sha256'] = sha256_file(archive)[0]
        result['duration_s'] = round(time.time() - started, 3)
        return result

    tmpdir = None
    extract_existing = False
    if extract_to and not check_mode:
        extract_to = os.path.abspath(os.path.expanduser(extract_to))
        parent = os.path.dirname(extract_to)
        os.makedirs(parent, 0o700, exist_ok=True)
        if os.path.isdir(extract_to) and os.listdir(extract_to):
            extract_existing = True
        elif os.path.exists(extract_to) and not os.path.isdir(extract_to):
            raise StackError('extract_to=%s exists and is not a directory; remove it or choose another extract_to' % extract_to)
        else:
            tmpdir = tempfile.mkdtemp(dir=parent, prefix='.%s.' % os.path.basename(extract_to), suffix='.partial')
    try:
        # One pass: the file's sha256 is taken while it is decompressed, checked against the .sha256 before anything
        # extracted is kept (a mismatch is the first problem named).
        raw_hash = hashlib.sha256()
        manifest, seen, read_problems, compression = read_archive(archive, tmpdir, zstd_cli, has_zstandard, raw_hash)
        result['compression'] = compression
        digest = raw_hash.hexdigest() if compression is not None else sha256_file(archive)[0]
        result['sha256'] = digest
        if digest != expected:
            problems.append('checksum mismatch: sha256 of %s is %s but %s says %s (truncated or corrupt archive)'
                            % (archive, digest, sha_path, expected))
        problems.extend(read_problems)
        if manifest is not None:
            result['manifest'] = manifest
            problems.extend(compare_members(manifest['members'], seen))
            problems.extend(compare_expect(manifest.get('metadata') or {}, expect))
            result['members_checked'] = len([m for m in manifest['members'] if m['name'] in seen])
        if extract_existing and not problems:
            existing = check_extracted_dir(extract_to, manifest)
            if existing:
                problems.append('extract_to=%s exists, is not empty and differs from the archive (%s); remove it or choose '
                                'another extract_to' % (extract_to, existing[0]))
            else:
                result['extracted_to'] = extract_to
        if tmpdir is not None and not problems:
            if os.path.isdir(extract_to):
                os.rmdir(extract_to)
            os.replace(tmpdir, extract_to)
            tmpdir = None
            fsync_dir(os.path.dirname(extract_to))
            result['extracted_to'] = extract_to
            result['changed'] = True
        elif extract_to and check_mode and not problems:
            result['changed'] = not (os.path.isdir(extract_to) and os.listdir(extract_to))
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    result['ok'] = not problems
    result['duration_s'] = round(time.time() - started, 3)
    return result
