# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import create_archive
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import format_sha256_line, sha256_file
from ansible_collections.tgops.stack.plugins.module_utils.backup_verify import verify_archive
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.tests.unit.plugins.module_utils.helpers import make_sources, members_of, tool_params


@pytest.fixture
def sources(tmp_path):
    return make_sources(tmp_path)


def archive_of(sources, compression, cli, has_py):
    """A fresh archive of the test sources with the given compressor (create_archive's result)."""
    src, out = sources
    return create_archive(str(out), 'todo-1', members_of(src), compression=compression, zstd_cli=cli, has_zstandard=has_py)


@pytest.mark.parametrize('compression,cli,has_py', tool_params())
def test_round_trip_verify_and_extract(sources, tmp_path, compression, cli, has_py):
    src, out = sources
    result = create_archive(str(out), 'todo-20261122T060000Z', members_of(src), env_file=str(src / '.env.prod'),
                            metadata={'stack': 'todo', 'engine': 'sqlite'}, compression=compression, zstd_cli=cli, has_zstandard=has_py)
    dest = tmp_path / 'restore' / 'x'
    verified = verify_archive(result['archive'], extract_to=str(dest), expect={'stack': 'todo'}, zstd_cli=cli, has_zstandard=has_py)
    assert verified['ok'], verified['problems']
    assert verified['members_checked'] == 4 and verified['changed'] and verified['compression'] == compression
    assert (dest / 'db' / 'organizer.db').read_bytes() == (src / 'organizer.db').read_bytes()
    redacted = (dest / 'env.redacted').read_text()
    assert 'very-secret' not in redacted and '/data/organizer.db' not in redacted and 'hidden' not in redacted
    assert 'BOT_TOKEN=<redacted>' in redacted
    assert stat.S_IMODE(os.stat(str(dest / 'db' / 'organizer.db')).st_mode) == 0o600
    # extracting again into the same directory is a no-op
    again = verify_archive(result['archive'], extract_to=str(dest), zstd_cli=cli, has_zstandard=has_py)
    assert again['ok'] and not again['changed']
    # expect mismatch is a problem
    bad = verify_archive(result['archive'], expect={'stack': 'sprint'}, zstd_cli=cli, has_zstandard=has_py)
    assert not bad['ok'] and "expected 'sprint'" in bad['problems'][0]


@pytest.mark.parametrize('compression,cli,has_py', tool_params())
def test_verify_reads_the_archive_once(sources, tmp_path, monkeypatch, compression, cli, has_py):
    """The checksum is taken in the decompressing pass: no separate sha256 read of the file, and the same digest."""
    from ansible_collections.tgops.stack.plugins.module_utils import backup_verify
    src, out = sources
    (src / 'uploads' / 'big.bin').write_bytes(os.urandom(3 * 1024 * 1024))
    result = create_archive(str(out), 'todo-1', members_of(src), compression=compression, zstd_cli=cli, has_zstandard=has_py)

    def refuse(*_args, **_kwargs):
        raise AssertionError('the archive was read a second time for its checksum')
    monkeypatch.setattr(backup_verify, 'sha256_file', refuse)
    verified = verify_archive(result['archive'], extract_to=str(tmp_path / 'restore'), zstd_cli=cli, has_zstandard=has_py)
    assert verified['ok'], verified['problems']
    assert verified['sha256'] == result['sha256']


@pytest.mark.parametrize('compression,cli,has_py', tool_params())
def test_checksum_mismatch_is_named_first_after_one_pass(sources, tmp_path, compression, cli, has_py):
    """A flipped byte in the compressed data: the checksum mismatch is the first problem, nothing is extracted."""
    result = archive_of(sources, compression, cli, has_py)
    with open(result['archive'], 'r+b') as handle:
        handle.seek(result['size_bytes'] // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    dest = tmp_path / 'restore'
    verified = verify_archive(result['archive'], extract_to=str(dest), zstd_cli=cli, has_zstandard=has_py)
    assert not verified['ok'] and verified['problems'][0].startswith('checksum mismatch'), verified['problems']
    assert verified['sha256'] == sha256_file(result['archive'])[0]
    assert not dest.exists() and [n for n in os.listdir(str(tmp_path)) if n.startswith('.restore')] == []


def test_truncated_archive_fails_checksum_and_extracts_nothing(sources, tmp_path):
    src, out = sources
    result = create_archive(str(out), 'todo-1', members_of(src), compression='gzip')
    with open(result['archive'], 'r+b') as handle:
        handle.truncate(result['size_bytes'] // 2)
    dest = tmp_path / 'restore'
    verified = verify_archive(result['archive'], extract_to=str(dest))
    assert not verified['ok'] and 'checksum mismatch' in verified['problems'][0]
    assert not dest.exists()


@pytest.mark.parametrize('compression,cli,has_py', tool_params())
def test_truncated_archive_with_matching_checksum_is_corrupt(sources, tmp_path, compression, cli, has_py):
    """A truncated archive whose .sha256 was rewritten too is still caught by reading the stream."""
    result = archive_of(sources, compression, cli, has_py)
    with open(result['archive'], 'r+b') as handle:
        handle.truncate(result['size_bytes'] // 2)
    with open(result['sha256_file'], 'w') as handle:
        handle.write(format_sha256_line(sha256_file(result['archive'])[0], os.path.basename(result['archive'])))
    dest = tmp_path / 'restore'
    verified = verify_archive(result['archive'], extract_to=str(dest), zstd_cli=cli, has_zstandard=has_py)
    assert not verified['ok']
    assert any('truncated or corrupt' in p for p in verified['problems']), verified['problems']
    assert not dest.exists() and [n for n in os.listdir(str(tmp_path)) if n.startswith('.restore')] == []


def test_member_tampering_detected(sources, tmp_path):
    """A member changed after the manifest was written (archive re-packed, checksum file refreshed)."""
    src, out = sources
    result = create_archive(str(out), 'todo-1', members_of(src), compression='gzip')
    repacked = tmp_path / 'repacked.tar.gz'
    with tarfile.open(result['archive'], 'r:gz') as old, tarfile.open(str(repacked), 'w:gz') as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == 'uploads/a.csv':
                data = data.replace(b'x', b'y')
            new.addfile(member, io.BytesIO(data))
    os.replace(str(repacked), result['archive'])
    with open(result['sha256_file'], 'w') as handle:
        handle.write(format_sha256_line(sha256_file(result['archive'])[0], os.path.basename(result['archive'])))
    verified = verify_archive(result['archive'])
    assert not verified['ok'] and any('uploads/a.csv: checksum mismatch' in p for p in verified['problems'])


def make_tar_gz(path, entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == 'sym':
                info.type = tarfile.SYMTYPE
                info.linkname = '/etc/passwd'
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    with gzip.open(str(path), 'wb') as handle:
        handle.write(buf.getvalue())
    with open(str(path) + '.sha256', 'w') as handle:
        handle.write(format_sha256_line(sha256_file(str(path))[0], os.path.basename(str(path))))


@pytest.mark.parametrize('name,kind', [('../evil', 'file'), ('/abs/evil', 'file'), ('a/../../evil', 'file'), ('link', 'sym')])
def test_unsafe_members_refused(tmp_path, name, kind):
    archive = tmp_path / 'evil.tar.gz'
    make_tar_gz(archive, [(name, kind, b'boom')])
    dest = tmp_path / 'dest'
    verified = verify_archive(str(archive), extract_to=str(dest))
    assert not verified['ok']
    assert any('refused' in p for p in verified['problems'])
    assert not dest.exists() and not (tmp_path / 'evil').exists()


def test_missing_checksum_file_and_not_an_archive(tmp_path):
    path = tmp_path / 'x.tar.gz'
    path.write_bytes(b'plain text')
    verified = verify_archive(str(path))
    assert not verified['ok'] and 'cannot be read' in verified['problems'][0]
    with open(str(path) + '.sha256', 'w') as handle:
        handle.write(format_sha256_line(sha256_file(str(path))[0], 'x.tar.gz'))
    verified = verify_archive(str(path))
    assert 'neither zstd nor gzip' in verified['problems'][0]


def test_missing_archive_names_the_option(tmp_path):
    with pytest.raises(StackError, match='archive=.*does not exist'):
        verify_archive(str(tmp_path / 'missing.tar.gz'))
