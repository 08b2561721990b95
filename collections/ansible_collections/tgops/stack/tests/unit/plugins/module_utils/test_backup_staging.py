# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat
import time

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_staging import (
    parse_age,
    prepare,
    remove,
    stale_staging,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.tests.unit.plugins.module_utils.helpers import GIT_OK, SHA, runner


@pytest.mark.parametrize('text,seconds', [('12h', 43200), ('30m', 1800), ('2d', 172800), ('1w', 604800), ('3600', 3600),
                                          (' 45s ', 45), (0, 0)])
def test_parse_age(text, seconds):
    assert parse_age(text) == seconds


@pytest.mark.parametrize('bad', ['', '12 hours', '-1h', '1.5h', 'h'])
def test_parse_age_refuses_what_find_would_not_take(bad):
    with pytest.raises(StackError) as err:
        parse_age(bad)
    assert 'stale_age=%r' % (bad,) in err.value.msg and 'for example 12h' in err.value.msg


def test_stale_staging_takes_only_old_staging_directories():
    now = 100000.0
    entries = [('.staging-old', True, now - 50000), ('.staging-new', True, now - 10), ('.staging-file', False, now - 90000),
               ('todo-20261130T120000Z.tar.zst', False, now - 90000), ('keep', True, now - 90000), ('.staging-b', True, now - 43201)]
    assert stale_staging(entries, now, 43200) == ['.staging-b', '.staging-old']


def test_prepare_creates_the_directory_private_and_a_staging_dir(tmp_path):
    backups = tmp_path / 'backups' / 'todo'
    res = prepare(str(backups), source_dir='/opt/stack', run=runner(GIT_OK))
    assert res['changed'] and res['git_sha'] == SHA and res['git_error'] is None
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    staging = res['path']
    assert os.path.dirname(staging) == str(backups) and os.path.basename(staging).startswith('.staging-')
    assert stat.S_IMODE(os.stat(staging).st_mode) == 0o700 and stat.S_IMODE(os.stat(os.path.join(staging, 'db')).st_mode) == 0o700
    assert res['steps'][0].startswith('read the git revision of /opt/stack: ' + SHA)
    assert any(s.startswith('created %s' % backups) for s in res['steps'])


def test_prepare_removes_only_stale_staging_and_fixes_the_mode(tmp_path):
    backups = tmp_path / 'todo'
    backups.mkdir(mode=0o755)
    os.chmod(backups, 0o755)
    old = backups / '.staging-old'
    (old / 'db').mkdir(parents=True)
    (old / 'db' / 'organizer.db').write_bytes(b'copy')
    fresh = backups / '.staging-fresh'
    fresh.mkdir()
    archive = backups / 'todo-20261130T120000Z.tar.zst'
    archive.write_bytes(b'x')
    past = time.time() - 13 * 3600
    os.utime(old, (past, past))
    os.utime(archive, (past, past))
    res = prepare(str(backups), stale_age='12h')
    assert res['removed_stale'] == [str(old)] and not old.exists() and fresh.exists() and archive.exists()
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert 'set %s to mode 0700' % backups in res['steps']
    assert res['git_sha'] is None and res['git_error'] is None  # no source_dir: git is not asked


def test_prepare_in_check_mode_changes_nothing(tmp_path):
    backups = tmp_path / 'todo'
    backups.mkdir()
    old = backups / '.staging-old'
    old.mkdir()
    past = time.time() - 86400
    os.utime(old, (past, past))
    before = sorted(os.listdir(backups))
    res = prepare(str(backups), check_mode=True)
    assert res['path'] is None and res['removed_stale'] == [str(old)] and res['changed']
    assert sorted(os.listdir(backups)) == before and old.exists()
    missing = tmp_path / 'missing'
    res = prepare(str(missing), check_mode=True)
    assert not missing.exists() and 'created %s (mode 0700)' % missing in res['steps']


def test_prepare_refuses_a_file_where_the_directory_goes(tmp_path):
    target = tmp_path / 'todo'
    target.write_text('not a dir')
    with pytest.raises(StackError) as err:
        prepare(str(target), source_dir='/opt/stack', run=runner(GIT_OK))
    assert 'is not a directory' in err.value.msg and 'backup_local_dir' in err.value.msg
    assert err.value.details['step'] == 'create the backup directory'
    # Never `path`: the role removes the result's path as this run's staging directory.
    assert 'path' not in err.value.details and err.value.details['failed_path'] == str(target)
    assert err.value.details['steps'][0].startswith('read the git revision')  # the steps done before it are kept


def test_prepare_failure_of_a_step_is_named(tmp_path, monkeypatch):
    backups = tmp_path / 'todo'
    backups.mkdir(mode=0o700)

    def full(*args, **kwargs):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr('tempfile.mkdtemp', full)
    with pytest.raises(StackError) as err:
        prepare(str(backups))
    assert err.value.msg == 'create the staging directory failed for %s: No space left on device' % backups
    assert err.value.details['step'] == 'create the staging directory'


def test_remove_only_a_staging_directory_of_the_backup_dir(tmp_path):
    backups = tmp_path / 'todo'
    res = prepare(str(backups))
    staging = res['path']
    for bad in (str(backups), str(tmp_path / '.staging-elsewhere'), os.path.join(staging, 'db'), str(backups / 'todo.tar.zst')):
        with pytest.raises(StackError) as err:
            remove(str(backups), bad)
        assert 'is not a staging directory of %s' % backups in err.value.msg
    assert remove(str(backups), staging, check_mode=True)['changed'] and os.path.isdir(staging)
    assert remove(str(backups), staging)['changed'] and not os.path.exists(staging)
    assert remove(str(backups), staging) == {'dir': str(backups), 'path': staging, 'changed': False, 'steps': ['%s is already gone' % staging]}
