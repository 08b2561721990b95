# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime
import hashlib
import io
import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import (
    archive_filename,
    choose_compression,
    compression_of_magic,
    compression_of_name,
    expand_members,
    parse_mode,
    validate_name,
)
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import (
    build_manifest,
    compare_expect,
    compare_members,
    format_sha256_line,
    manifest_bytes,
    os_error_message,
    parse_manifest,
    parse_sha256_line,
    safe_member_name,
    sha256_file,
    sha256_stream,
    utc_stamp,
)
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import redact_dotenv
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError

HEX = 'a' * 64


def test_sha256_line_round_trip_matches_sha256sum_format():
    line = format_sha256_line(HEX, 'todo-20261122T060000Z.tar.zst')
    assert line == HEX + '  todo-20261122T060000Z.tar.zst\n'
    assert parse_sha256_line(line) == (HEX, 'todo-20261122T060000Z.tar.zst')
    assert parse_sha256_line(HEX.upper() + ' *x.tar.gz') == (HEX, 'x.tar.gz')


@pytest.mark.parametrize('bad', ['', 'zz  x', HEX[:-1] + '  x', HEX + 'x'])
def test_sha256_line_rejects_garbage(bad):
    with pytest.raises(ValueError):
        parse_sha256_line(bad)


def test_sha256_line_refuses_paths_and_bad_digests():
    with pytest.raises(ValueError):
        format_sha256_line(HEX, 'dir/x.tar.gz')
    with pytest.raises(ValueError):
        format_sha256_line('nothex', 'x')


def test_sha256_stream_reads_in_chunks(tmp_path):
    data = os.urandom(3 * 1024 + 5)
    path = tmp_path / 'f'
    path.write_bytes(data)
    assert sha256_file(str(path), chunk_size=1024) == (hashlib.sha256(data).hexdigest(), len(data))
    assert sha256_stream(io.BytesIO(b''))[1] == 0


@pytest.mark.parametrize('name,expected', [('db/organizer.db', 'db/organizer.db'), ('a//b/./c', 'a/b/c'), ('x', 'x')])
def test_safe_member_name_accepts_relative(name, expected):
    assert safe_member_name(name) == expected


@pytest.mark.parametrize('name', ['/etc/passwd', '../x', 'a/../../x', 'a/..', '', '.', 'C:/x', '\\x', 'a\x00b', None])
def test_safe_member_name_rejects(name):
    with pytest.raises(ValueError):
        safe_member_name(name)


def test_manifest_build_and_parse():
    created = datetime.datetime(2026, 11, 22, 6, 0, 0, tzinfo=datetime.timezone.utc)
    manifest = build_manifest([{'name': 'db/organizer.db', 'size': 3, 'sha256': HEX}], {'stack': 'todo', 'engine': 'sqlite'}, created)
    assert manifest['created'] == '2026-11-22T06:00:00Z'
    assert manifest['format_version'] == 1
    parsed = parse_manifest(manifest_bytes(manifest))
    assert parsed == manifest
    assert utc_stamp(created) == '20261122T060000Z'


@pytest.mark.parametrize('text', [
    'not json', '[]', '{"format": "other"}',
    '{"format": "tgops-backup", "format_version": 99, "members": []}',
    '{"format": "tgops-backup", "format_version": 1}',
    '{"format": "tgops-backup", "format_version": 1, "members": [{"name": "../x", "size": 1, "sha256": "%s"}]}' % HEX,
    '{"format": "tgops-backup", "format_version": 1, "members": [{"name": "x", "size": "1", "sha256": "%s"}]}' % HEX,
])
def test_manifest_parse_rejects(text):
    with pytest.raises(ValueError):
        parse_manifest(text)


def test_compare_expect_and_members():
    assert compare_expect({'stack': 'todo', 'rev': 7}, {'stack': 'todo', 'rev': '7'}) == []
    problems = compare_expect({'stack': 'todo'}, {'stack': 'sprint', 'engine': 'sqlite'})
    assert len(problems) == 2 and 'no engine' in problems[0] and "'sprint'" in problems[1]
    members = [{'name': 'a', 'size': 1, 'sha256': HEX}, {'name': 'b', 'size': 2, 'sha256': HEX}]
    assert compare_members(members, {'a': (1, HEX), 'b': (2, HEX)}) == []
    problems = compare_members(members, {'a': (1, 'b' * 64), 'c': (0, HEX)})
    assert any('a: checksum mismatch' in p for p in problems)
    assert any('b listed in the manifest is missing' in p for p in problems)
    assert any('c is in the archive but not in the manifest' in p for p in problems)


def test_redact_dotenv_keeps_keys_only():
    text = ('# comment BOT_TOKEN=old-secret\nexport BOT_TOKEN=123:abc\nDB_PATH=/data/organizer.db\nEMPTY=\n'
            'MULTI="line1\nline2"\nQUOTED=\'x y\' # c\nbroken line with secret\nUNTERMINATED="abc\n')
    out = redact_dotenv(text)
    for secret in ('old-secret', '123:abc', '/data/organizer.db', 'line1', 'line2', 'x y', 'secret', 'abc'):
        assert secret not in out
    lines = out.splitlines()
    assert 'export BOT_TOKEN=<redacted>' in lines
    assert 'DB_PATH=<redacted>' in lines
    assert 'EMPTY=' in lines
    assert 'MULTI=<redacted>' in lines and 'QUOTED=<redacted>' in lines
    assert '# line 8 not parsed; removed' in lines and '# line 9 not parsed; removed' in lines


@pytest.mark.parametrize('requested,cli,zstd_py,expected', [
    ('auto', '/usr/bin/zstd', True, ('zstd', 'zstd-cli')),
    ('auto', None, True, ('zstd', 'python-zstandard')),
    ('auto', None, False, ('gzip', 'python-gzip')),
    ('gzip', '/usr/bin/zstd', True, ('gzip', 'python-gzip')),
    ('zstd', None, True, ('zstd', 'python-zstandard')),
])
def test_choose_compression(requested, cli, zstd_py, expected):
    assert choose_compression(requested, cli, zstd_py) == expected


def test_choose_compression_zstd_unavailable():
    with pytest.raises(StackError, match='compression=zstd'):
        choose_compression('zstd', None, False)


def test_names_and_magic():
    assert archive_filename('todo-1', 'zstd') == 'todo-1.tar.zst'
    assert compression_of_name('x.tar.gz') == 'gzip' and compression_of_name('x.zip') is None
    assert compression_of_magic(b'\x28\xb5\x2f\xfd..') == 'zstd' and compression_of_magic(b'\x1f\x8b') == 'gzip'
    assert compression_of_magic(b'PK') is None
    for bad in ('', 'a/b', '.hidden'):
        with pytest.raises(StackError):
            validate_name(bad)


@pytest.mark.parametrize('mode,expected', [('0600', 0o600), ('600', 0o600), ('0o640', 0o640), (0o600, 0o600)])
def test_parse_mode(mode, expected):
    assert parse_mode(mode) == expected


@pytest.mark.parametrize('mode', ['rw', '0999', 0o7777, '-1'])
def test_parse_mode_rejects(mode):
    with pytest.raises(StackError, match='mode='):
        parse_mode(mode)


def test_expand_members_recurses_and_checks(tmp_path):
    (tmp_path / 'd' / 'sub').mkdir(parents=True)
    (tmp_path / 'd' / 'b.txt').write_text('b')
    (tmp_path / 'd' / 'sub' / 'a.txt').write_text('a')
    os.symlink('/etc/passwd', str(tmp_path / 'd' / 'link'))
    (tmp_path / 'f.db').write_text('f')
    files, skipped = expand_members([{'src': str(tmp_path / 'f.db'), 'arcname': 'db/f.db'}, {'src': str(tmp_path / 'd')}])
    assert [f['name'] for f in files] == ['db/f.db', 'd/b.txt', 'd/sub/a.txt']
    assert skipped == [str(tmp_path / 'd' / 'link')]
    with pytest.raises(StackError, match='does not exist'):
        expand_members([{'src': str(tmp_path / 'missing')}])
    with pytest.raises(StackError, match='arcname'):
        expand_members([{'src': str(tmp_path / 'f.db'), 'arcname': '../f'}])
    with pytest.raises(StackError, match='used twice or reserved'):
        expand_members([{'src': str(tmp_path / 'f.db'), 'arcname': 'manifest.json'}])
    with pytest.raises(StackError, match='used twice'):
        expand_members([{'src': str(tmp_path / 'f.db')}, {'src': str(tmp_path / 'f.db')}])


def test_os_error_message_names_errno():
    msg = os_error_message('writing archive x', '/b', OSError(28, 'No space left on device'))
    assert msg == 'writing archive x (/b) failed: [Errno 28 ENOSPC] No space left on device'
