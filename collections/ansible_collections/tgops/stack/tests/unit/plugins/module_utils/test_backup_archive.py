# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import tarfile

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import archive_and_finish, create_archive, zstandard
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import format_sha256_line, sha256_file
from ansible_collections.tgops.stack.plugins.module_utils.backup_staging import prepare
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.tests.unit.plugins.module_utils.helpers import ZSTD_CLI, make_sources, members_of, tool_params


@pytest.fixture
def sources(tmp_path):
    return make_sources(tmp_path)


@pytest.mark.parametrize('compression,cli,has_py', tool_params())
def test_create_archive(sources, compression, cli, has_py):
    src, out = sources
    result = create_archive(str(out), 'todo-20261122T060000Z', members_of(src), env_file=str(src / '.env.prod'),
                            metadata={'stack': 'todo', 'engine': 'sqlite'}, compression=compression, zstd_cli=cli, has_zstandard=has_py)
    ext = '.tar.zst' if compression == 'zstd' else '.tar.gz'
    assert result['archive'] == str(out / ('todo-20261122T060000Z' + ext))
    assert sorted(os.listdir(str(out))) == sorted([os.path.basename(result['archive']), os.path.basename(result['archive']) + '.sha256'])
    for path in (result['archive'], result['sha256_file']):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sha256_file(result['archive']) == (result['sha256'], result['size_bytes'])
    with open(result['sha256_file']) as handle:
        assert handle.read() == format_sha256_line(result['sha256'], os.path.basename(result['archive']))
    names = [m['name'] for m in result['manifest']['members']]
    assert names == ['db/organizer.db', 'uploads/a.csv', 'uploads/nested/b.bin', 'env.redacted']
    db = result['manifest']['members'][0]
    assert db['sha256'] == hashlib.sha256((src / 'organizer.db').read_bytes()).hexdigest()
    # sha256sum -c accepts the checksum file
    assert subprocess.run(['sha256sum', '-c', os.path.basename(result['sha256_file'])], cwd=str(out), capture_output=True, check=False).returncode == 0
    # manifest is the last member
    opener = 'r:gz' if compression == 'gzip' else None
    if opener:
        with tarfile.open(result['archive'], opener) as tar:
            assert tar.getnames()[-1] == 'manifest.json'


def test_progress_lines_count_every_member_byte(sources):
    src, out = sources
    (src / 'uploads' / 'big.bin').write_bytes(b'\x01' * (3 * 1024 * 1024 + 10))
    total = sum(p.stat().st_size for p in [src / 'organizer.db', *(src / 'uploads').rglob('*')] if p.is_file())
    result = create_archive(str(out), 'todo-1', members_of(src), compression='gzip', progress_mib=1)
    assert len(result['progress']) == 4, result['progress']  # 1, 2 and 3 MiB, then the end
    assert result['progress'][-1].startswith('archive todo-1.tar.gz: ') and '(100%)' in result['progress'][-1]
    assert ' of %s ' % ('%.1f MiB' % (total / 1048576)) in result['progress'][0]


def test_existing_archive_is_not_rewritten(sources):
    src, out = sources
    first = create_archive(str(out), 'todo-1', members_of(src), compression='gzip')
    second = create_archive(str(out), 'todo-1', members_of(src), compression='gzip')
    assert first['changed'] and not second['changed'] and second['sha256'] == first['sha256']


def test_check_mode_writes_nothing(sources):
    src, out = sources
    result = create_archive(str(out), 'todo-1', members_of(src), env_file=str(src / '.env.prod'), compression='gzip', check_mode=True)
    assert result['changed'] and os.listdir(str(out)) == []
    assert [m['name'] for m in result['members_planned']][-1] == 'env.redacted'


class FullDisk:
    """A writer that accepts ``limit`` bytes, then raises ENOSPC like a full filesystem."""

    def __init__(self, path, limit):
        self.handle = open(path, 'wb')
        self.limit = limit
        self.written = 0

    def write(self, data):
        if self.written + len(data) > self.limit:
            raise OSError(errno.ENOSPC, 'No space left on device')
        self.written += len(data)
        return self.handle.write(data)

    def flush(self):
        self.handle.flush()

    def fileno(self):
        return self.handle.fileno()

    def close(self):
        self.handle.close()


@pytest.mark.parametrize('compression,has_py', [('gzip', False)] + ([('zstd', True)] if zstandard is not None else []))
def test_enospc_leaves_no_partial(sources, compression, has_py):
    src, out = sources
    with pytest.raises(StackError) as info:
        create_archive(str(out), 'todo-1', members_of(src), compression=compression, has_zstandard=has_py,
                       opener=lambda path: FullDisk(path, 4096))
    assert 'ENOSPC' in info.value.msg and str(out) in info.value.msg
    assert os.listdir(str(out)) == []


def test_zstd_cli_failure_leaves_no_partial(sources, tmp_path):
    src, out = sources
    fake = tmp_path / 'fake-zstd'
    fake.write_text('#!/bin/sh\n# write a little, then fail like a full disk\nhead -c 1000\n'
                    'echo "zstd: error 70 : Write error : cannot write block : No space left on device" >&2\nexit 70\n')
    fake.chmod(0o755)
    with pytest.raises(StackError) as info:
        create_archive(str(out), 'todo-1', members_of(src), compression='zstd', zstd_cli=str(fake), has_zstandard=False)
    assert 'ENOSPC' in info.value.msg and 'No space left' in info.value.msg
    assert info.value.details['rc'] == 70 and info.value.details['cmd'][0] == str(fake)
    assert os.listdir(str(out)) == []


def test_errors_name_the_option(sources, tmp_path):
    src, out = sources
    with pytest.raises(StackError, match='dest_dir=.*not an existing directory'):
        create_archive(str(tmp_path / 'nope'), 'todo-1', members_of(src))
    with pytest.raises(StackError, match='env_file='):
        create_archive(str(out), 'todo-1', members_of(src), env_file=str(tmp_path / 'missing.env'))


def test_killed_run_temp_file_is_cleaned_but_a_live_one_is_not(sources):
    """A run killed mid-archive leaves its per-run temp file unlocked; the next run removes it, a locked one stays."""
    import fcntl

    from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import clean_stale_partials, locked_partial
    src, out = sources
    dead = out / '.todo-20261122T050000Z.tar.zst.abc123.partial'
    dead.write_bytes(b'half an archive')
    legacy = out / 'todo-20261121T050000Z.tar.zst.partial'
    legacy.write_bytes(b'old fixed name')
    live, live_fd = locked_partial(str(out / 'todo-20261122T055900Z.tar.zst'))
    other = out / 'notes.partial'
    other.write_text('not ours')
    try:
        result = create_archive(str(out), 'todo-20261122T060000Z', members_of(src), compression='gzip', has_zstandard=False)
        assert sorted(result['stale_removed']) == sorted([str(dead), str(legacy)])
        assert os.path.exists(live) and other.exists()
        assert sorted(os.listdir(str(out))) == sorted([os.path.basename(live), 'notes.partial', 'todo-20261122T060000Z.tar.gz',
                                                       'todo-20261122T060000Z.tar.gz.sha256'])
    finally:
        fcntl.flock(live_fd, fcntl.LOCK_UN)
        os.close(live_fd)
    assert clean_stale_partials(str(out)) == [live]


def test_sidecar_only_after_the_read_back_passed(sources, monkeypatch):
    """With read_back, a write that reads back wrong (here: a corrupted member) is removed and gets no .sha256."""
    from ansible_collections.tgops.stack.plugins.module_utils import backup_archive
    src, out = sources
    real = backup_archive.read_archive

    def corrupted(path, *args, **kwargs):
        manifest, seen, problems, compression = real(path, *args, **kwargs)
        seen['db/organizer.db'] = (seen['db/organizer.db'][0], '0' * 64)
        return manifest, seen, problems, compression
    monkeypatch.setattr(backup_archive, 'read_archive', corrupted)
    with pytest.raises(StackError, match='failed its verification .*no .sha256 was written'):
        create_archive(str(out), 'todo-20261122T060000Z', members_of(src), compression='gzip', has_zstandard=False,
                       read_back=True)
    assert os.listdir(str(out)) == []


@pytest.mark.parametrize('compression,cli,has_py', tool_params())
def test_one_pass_reads_nothing_back(sources, monkeypatch, compression, cli, has_py):
    """Without read_back the archive is never re-read: its sha256 is the digest taken while it was written."""
    from ansible_collections.tgops.stack.plugins.module_utils import backup_archive
    src, out = sources

    def refuse(*_args, **_kwargs):
        raise AssertionError('the archive was read back')
    monkeypatch.setattr(backup_archive, 'read_archive', refuse)
    result = create_archive(str(out), 'todo-1', members_of(src), compression=compression, zstd_cli=cli, has_zstandard=has_py)
    assert result['verified'] and not result['read_back']
    assert sha256_file(result['archive']) == (result['sha256'], result['size_bytes'])


class ShortWrites(FullDisk):
    """A writer that silently drops every other block: what a broken device or filesystem might do."""

    def write(self, data):
        self.written += 1
        if self.written % 2 == 0:
            return len(data)
        return self.handle.write(data)


def test_bytes_lost_on_the_way_to_disk_fail_the_check(sources):
    src, out = sources
    (src / 'uploads' / 'big.bin').write_bytes(os.urandom(2 * 1024 * 1024))
    with pytest.raises(StackError, match=r'failed its verification \(\d+ bytes on disk but \d+ were written\)'):
        create_archive(str(out), 'todo-1', members_of(src), compression='gzip', has_zstandard=False,
                       opener=lambda path: ShortWrites(path, 0))
    assert os.listdir(str(out)) == []


@pytest.mark.skipif(not ZSTD_CLI, reason='needs the zstd CLI')
def test_enospc_behind_the_zstd_cli_names_the_disk(sources):
    """The CLI's output is written by us (to hash it): a full disk there is reported as ENOSPC, not as a broken pipe."""
    src, out = sources
    (src / 'uploads' / 'big.bin').write_bytes(os.urandom(4 * 1024 * 1024))
    with pytest.raises(StackError) as info:
        create_archive(str(out), 'todo-1', members_of(src), compression='zstd', zstd_cli=ZSTD_CLI, has_zstandard=False,
                       opener=lambda path: FullDisk(path, 4096))
    assert 'ENOSPC' in info.value.msg and str(out) in info.value.msg, info.value.msg
    assert os.listdir(str(out)) == []


def _staged(out, src):
    """A staging directory of ``out`` made as the backup role makes it, holding a copy of the DB."""
    staging = prepare(str(out))['path']
    with open(os.path.join(staging, 'db', 'organizer.db'), 'wb') as handle:
        handle.write((src / 'organizer.db').read_bytes())
    return staging, [{'src': os.path.join(staging, 'db'), 'arcname': 'db'}]


def test_archive_and_finish_links_latest_and_removes_the_staging_copy(sources):
    src, out = sources
    staging, members = _staged(out, src)
    first = archive_and_finish(str(out), 'todo-1', members, set_latest=True, staging=staging, compression='gzip')
    assert first['changed'] and first['latest'] == str(out / 'latest.tar.gz') and first['staging_removed'] == staging
    assert os.readlink(str(out / 'latest.tar.gz')) == 'todo-1.tar.gz' and not os.path.exists(staging)
    assert first['steps'] == ['wrote and verified %s' % first['archive'], 'pointed latest.tar.gz at it',
                              'removed the staging directory %s' % staging]
    # The next run moves the link; nothing but archives, sidecars and the link is left.
    staging, members = _staged(out, src)
    second = archive_and_finish(str(out), 'todo-2', members, set_latest=True, staging=staging, compression='gzip')
    assert os.readlink(str(out / 'latest.tar.gz')) == 'todo-2.tar.gz'
    assert sorted(os.listdir(str(out))) == ['latest.tar.gz', 'todo-1.tar.gz', 'todo-1.tar.gz.sha256', 'todo-2.tar.gz',
                                            'todo-2.tar.gz.sha256']
    # Again with the same name: nothing changes.
    again = archive_and_finish(str(out), 'todo-2', members_of(src), set_latest=True, compression='gzip')
    assert not again['changed'] and again['steps'] == ['kept the existing %s' % second['archive'], 'kept latest.tar.gz at it']
    # Without set_latest the link stays where it was.
    other = archive_and_finish(str(out), 'todo-3', members_of(src), compression='gzip')
    assert other['latest'] is None and os.readlink(str(out / 'latest.tar.gz')) == 'todo-2.tar.gz'


def test_archive_and_finish_in_check_mode_writes_links_and_removes_nothing(sources):
    src, out = sources
    staging, members = _staged(out, src)
    result = archive_and_finish(str(out), 'todo-1', members, set_latest=True, staging=staging, compression='gzip', check_mode=True)
    assert result['changed'] and result['staging_removed'] is None and os.path.isdir(staging)
    assert sorted(os.listdir(str(out))) == [os.path.basename(staging)]
    assert result['steps'][1:] == ['would point latest.tar.gz at it', 'would remove the staging directory %s' % staging]


def test_a_failed_build_removes_the_staging_copy_and_returns_no_archive(sources):
    src, out = sources
    staging, members = _staged(out, src)
    with pytest.raises(StackError) as info:
        archive_and_finish(str(out), 'todo-1', members, set_latest=True, staging=staging, compression='gzip',
                           opener=lambda path: FullDisk(path, 4096))
    assert 'ENOSPC' in info.value.msg and 'archive' not in info.value.details
    assert info.value.details['staging_removed'] == staging and not os.path.exists(staging)
    assert os.listdir(str(out)) == []


def test_a_failed_link_keeps_the_archive_and_names_the_step(sources):
    src, out = sources
    (out / 'latest.tar.gz').mkdir()  # a directory where the link goes: the rename cannot replace it
    staging, members = _staged(out, src)
    with pytest.raises(StackError) as info:
        archive_and_finish(str(out), 'todo-1', members, set_latest=True, staging=staging, compression='gzip')
    archive = str(out / 'todo-1.tar.gz')
    assert info.value.msg == ('%s is a directory, not a latest link; move it away; '
                              'the archive %s is kept (verified, with its .sha256)' % (out / 'latest.tar.gz', archive))
    assert info.value.details['archive'] == archive and info.value.details['step'] == 'point the latest link'
    assert os.path.exists(archive + '.sha256') and not os.path.exists(staging)


def test_a_failed_staging_removal_keeps_the_archive_and_the_link(sources, monkeypatch):
    src, out = sources
    staging, members = _staged(out, src)

    def busy(path, *args, **kwargs):
        raise OSError(errno.EBUSY, 'Device or resource busy')
    monkeypatch.setattr('shutil.rmtree', busy)
    with pytest.raises(StackError) as info:
        archive_and_finish(str(out), 'todo-1', members, set_latest=True, staging=staging, compression='gzip')
    assert info.value.msg == ('remove the staging directory failed for %s: Device or resource busy; the archive %s is kept '
                              '(verified, with its .sha256) and latest.tar.gz points at it' % (staging, out / 'todo-1.tar.gz'))
    assert info.value.details['latest'] == str(out / 'latest.tar.gz') and os.path.isdir(staging)


def _plant(out, name):
    (out / name).write_bytes(b'old archive')
    (out / (name + '.sha256')).write_text(format_sha256_line('0' * 64, name))


def test_archive_and_finish_prunes_its_directory_and_keeps_the_new_archive(sources):
    src, out = sources
    for old in ('todo-20200101T000000Z.tar.gz', 'todo-20200102T000000Z.tar.gz'):
        _plant(out, old)
    _plant(out, 'sprint-20200101T000000Z.tar.gz')  # another stack in the same directory: not counted, not touched
    rules = {'keep_last': 1, 'keep_daily': 0, 'keep_weekly': 0}
    dry = archive_and_finish(str(out), 'todo-20261122T060000Z', members_of(src), retention=rules, compression='gzip', check_mode=True)
    assert dry['retention']['prune'] == ['todo-20200102T000000Z.tar.gz', 'todo-20200101T000000Z.tar.gz']
    assert dry['steps'][-1] == 'would prune 2 old archive(s) of todo beyond the retention, kept 1'
    assert len(os.listdir(str(out))) == 6
    result = archive_and_finish(str(out), 'todo-20261122T060000Z', members_of(src), retention=rules, compression='gzip')
    assert result['retention']['keep'] == ['todo-20261122T060000Z.tar.gz'] and len(result['retention']['removed']) == 4
    assert sorted(os.listdir(str(out))) == ['sprint-20200101T000000Z.tar.gz', 'sprint-20200101T000000Z.tar.gz.sha256',
                                            'todo-20261122T060000Z.tar.gz', 'todo-20261122T060000Z.tar.gz.sha256']
    assert result['steps'][-1] == 'pruned 2 old archive(s) of todo beyond the retention, kept 1'
    # keep_last=0 still keeps the new archive (protected), and a second run prunes nothing.
    again = archive_and_finish(str(out), 'todo-20261122T060000Z', members_of(src), retention={'keep_last': 0, 'keep_daily': 0,
                               'keep_weekly': 0}, compression='gzip')
    assert not again['changed'] and again['retention']['removed'] == []


def test_a_failed_prune_names_the_step_and_keeps_the_archive_linked(sources, monkeypatch):
    src, out = sources
    _plant(out, 'todo-20200101T000000Z.tar.gz')
    staging, members = _staged(out, src)
    real_unlink = os.unlink

    def refuse(path, *args, **kwargs):
        if 'todo-20200101' in str(path):
            raise OSError(errno.EPERM, 'Operation not permitted')
        return real_unlink(path, *args, **kwargs)
    monkeypatch.setattr('os.unlink', refuse)
    with pytest.raises(StackError) as info:
        archive_and_finish(str(out), 'todo-20261122T060000Z', members, set_latest=True, staging=staging, compression='gzip',
                           retention={'keep_last': 1, 'keep_daily': 0, 'keep_weekly': 0})
    archive = str(out / 'todo-20261122T060000Z.tar.gz')
    assert info.value.msg == ('removing %s failed: [Errno 1] Operation not permitted; fix the permissions of %s; the archive %s '
                              'is kept (verified, with its .sha256) and latest.tar.gz points at it'
                              % (out / 'todo-20200101T000000Z.tar.gz', out, archive))
    details = info.value.details
    assert details['step'] == 'prune the local archives' and details['archive'] == archive and details['staging_removed'] == staging
    assert os.readlink(str(out / 'latest.tar.gz')) == 'todo-20261122T060000Z.tar.gz' and not os.path.exists(staging)


def test_a_negative_keep_value_is_refused_after_the_archive_naming_the_options(sources):
    src, out = sources
    with pytest.raises(StackError) as info:
        archive_and_finish(str(out), 'todo-1', members_of(src), retention={'keep_last': -1}, compression='gzip')
    assert info.value.msg.startswith('keep_last=-1, keep_daily=7, keep_weekly=4: ') and 'use 0 or more' in info.value.msg
