# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import sha256_file
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.sqlite_backup import backup_sqlite, refuse_message


def make_db(path, wal=True, rows=2000):
    conn = sqlite3.connect(str(path))
    if wal:
        conn.execute('PRAGMA journal_mode=wal')
    conn.execute('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)')
    conn.executemany('INSERT INTO schema_migrations VALUES (?)', [(1,), (2,), (7,)])
    conn.execute('CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT)')
    conn.executemany('INSERT INTO tasks (title) VALUES (?)', [('task %d ' % i + 'x' * 200,) for i in range(rows)])
    conn.commit()
    return conn


class Writer(threading.Thread):
    """Keeps inserting rows, one transaction each, like the application would."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = str(path)
        self.stop = threading.Event()
        self.inserted = 0
        self.errors = []

    def run(self):
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            while not self.stop.is_set():
                conn.execute('INSERT INTO tasks (title) VALUES (?)', ('live %d' % self.inserted,))
                conn.commit()
                self.inserted += 1
                # An application pauses between transactions; without any pause a rollback-journal writer can
                # starve readers (they need a SHARED lock) longer than any busy timeout on a loaded test machine.
                time.sleep(0.001)
        except sqlite3.Error as exc:  # pragma: no cover - reported by the test
            self.errors.append(exc)
        finally:
            conn.close()


@pytest.mark.parametrize('method', ['backup_api', 'vacuum_into'])
@pytest.mark.parametrize('wal', [True, False], ids=['wal', 'rollback'])
def test_copy_while_app_writes(tmp_path, method, wal):
    live = tmp_path / 'live' / 'organizer.db'
    live.parent.mkdir()
    make_db(live, wal=wal, rows=20000).close()
    writer = Writer(live)
    writer.start()
    try:
        while writer.inserted < 50:
            time.sleep(0.01)
        before = writer.inserted
        dest = tmp_path / 'out' / 'organizer.db'
        dest.parent.mkdir()
        result = backup_sqlite(str(live), str(dest), method, ['tasks'], 5000)
        after_copy = writer.inserted
        time.sleep(0.05)
        assert writer.inserted > after_copy or not writer.is_alive(), 'the writer was blocked'
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.errors == []
    assert result['integrity_check'] == 'ok' and result['changed']
    assert result['tables']['schema_migrations'] == 3
    assert 20000 + before <= result['tables']['tasks'] <= 20000 + writer.inserted
    assert result['schema_version'] == 7
    assert (result['sha256'], result['size_bytes']) == sha256_file(str(dest))
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600
    assert os.listdir(str(dest.parent)) == ['organizer.db']
    conn = sqlite3.connect(str(dest))
    assert conn.execute('PRAGMA journal_mode').fetchone()[0] == 'delete'
    conn.close()


def test_wal_without_shm_leaves_no_side_files(tmp_path):
    """A WAL DB with committed data still in -wal and no connection open: read via a private copy."""
    src_dir = tmp_path / 'snap'
    src_dir.mkdir()
    live = tmp_path / 'organizer.db'
    conn = make_db(live, rows=10)
    conn.execute('PRAGMA wal_autocheckpoint=0')
    conn.execute('CREATE TABLE late (x)')
    conn.commit()
    # Copy the files as a volume would hold them after a crash of the app: db + wal, no shm.
    for suffix in ('', '-wal'):
        with open(str(live) + suffix, 'rb') as a, open(str(src_dir / 'organizer.db') + suffix, 'wb') as b:
            b.write(a.read())
    conn.close()
    dest = tmp_path / 'copy.db'
    result = backup_sqlite(str(src_dir / 'organizer.db'), str(dest), required_tables=['late'])
    assert 'late' in result['tables']
    assert sorted(os.listdir(str(src_dir))) == ['organizer.db', 'organizer.db-wal']


def test_required_table_missing_removes_copy(tmp_path):
    live = tmp_path / 'organizer.db'
    make_db(live, rows=1).close()
    dest = tmp_path / 'out.db'
    with pytest.raises(StackError, match='lacks required table.*users.*nothing was uploaded'):
        backup_sqlite(str(live), str(dest), required_tables=['tasks', 'users'])
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']


def test_corrupt_db_refused_and_copy_removed(tmp_path):
    live = tmp_path / 'organizer.db'
    make_db(live, wal=False, rows=5000).close()
    with open(str(live), 'r+b') as handle:  # garbage over b-tree pages, header intact
        handle.seek(4096 * 3)
        handle.write(b'\xff' * 4096 * 4)
    dest = tmp_path / 'out.db'
    with pytest.raises(StackError) as info:
        backup_sqlite(str(live), str(dest))
    assert info.value.msg.startswith('refused: integrity_check of the copy of %s returned' % live)
    assert info.value.msg.endswith('the live DB may be corrupt; nothing was uploaded')
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']


def test_index_mismatch_is_reported_by_integrity_check(tmp_path):
    live = tmp_path / 'organizer.db'
    conn = sqlite3.connect(str(live))
    conn.execute('CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT)')
    conn.executemany('INSERT INTO tasks (title) VALUES (?)', [('marker-%06d' % i,) for i in range(500)])
    conn.execute('CREATE INDEX tasks_title ON tasks (title)')
    conn.commit()
    conn.close()
    data = live.read_bytes()
    pos = data.index(b'marker-000123')  # the table page comes before the index pages
    with open(str(live), 'r+b') as handle:
        handle.seek(pos)
        handle.write(b'marker-zzzzzz')
    with pytest.raises(StackError) as info:
        backup_sqlite(str(live), str(tmp_path / 'out.db'))
    assert 'refused: integrity_check of the copy' in info.value.msg
    assert info.value.details['integrity_check'] != 'ok' and 'index' in info.value.details['integrity_check']
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']


def test_refuse_message():
    assert refuse_message('/v/db', 'row 3 missing') == (
        'refused: integrity_check of the copy of /v/db returned row 3 missing; the live DB may be corrupt; nothing was uploaded')


def test_check_mode_and_bad_inputs(tmp_path):
    live = tmp_path / 'organizer.db'
    make_db(live, rows=1).close()
    result = backup_sqlite(str(live), str(tmp_path / 'out.db'), check_mode=True)
    assert result['sha256'] is None and result['source_size_bytes'] > 0 and result['wal_mode']
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']
    with pytest.raises(StackError, match='src=.*does not exist'):
        backup_sqlite(str(tmp_path / 'nope.db'), str(tmp_path / 'out.db'))
    (tmp_path / 'text.db').write_text('hello')
    with pytest.raises(StackError, match='not a SQLite database'):
        backup_sqlite(str(tmp_path / 'text.db'), str(tmp_path / 'out.db'))
    with pytest.raises(StackError, match='directory .* does not exist'):
        backup_sqlite(str(live), str(tmp_path / 'no' / 'out.db'))
    with pytest.raises(StackError, match='is the live DB itself'):
        backup_sqlite(str(live), str(live))
    with pytest.raises(StackError, match='method='):
        backup_sqlite(str(live), str(tmp_path / 'out.db'), method='cp')


def test_raw_copy_fallback_for_a_db_lacking_tables_or_not_a_db(tmp_path):
    """The safety copy before a production restore: a refused DB is copied byte for byte, flagged unverified."""
    live = tmp_path / 'organizer.db'
    make_db(live, rows=3).close()
    out = tmp_path / 'out'
    out.mkdir()
    result = backup_sqlite(str(live), str(out / 'a.db'), required_tables=['missing_table'], raw_copy_fallback=True)
    assert result['verified'] is False and result['method'] == 'raw_copy'
    assert 'lacks required table(s) missing_table' in result['problem']
    assert (out / 'a.db').read_bytes() == live.read_bytes() and result['sha256'] == sha256_file(str(out / 'a.db'))[0]
    (tmp_path / 'text.db').write_text('hello')
    result = backup_sqlite(str(tmp_path / 'text.db'), str(out / 'b.db'), raw_copy_fallback=True)
    assert result['verified'] is False and 'not a SQLite database' in result['problem']
    assert (out / 'b.db').read_text() == 'hello'
    assert not [n for n in os.listdir(str(out)) if n.endswith('.partial')]
    ok = backup_sqlite(str(live), str(out / 'c.db'), raw_copy_fallback=True)
    assert ok['verified'] is True and ok['problem'] is None
    # without the fallback the refusal stands; an error of the copy itself is never turned into a raw copy
    with pytest.raises(StackError, match='refused: the copy .* lacks required table'):
        backup_sqlite(str(live), str(out / 'd.db'), required_tables=['missing_table'])
    with pytest.raises(StackError, match='directory .* does not exist'):
        backup_sqlite(str(live), str(tmp_path / 'no' / 'e.db'), raw_copy_fallback=True)


def test_install_replaces_the_live_db_all_or_nothing(tmp_path):
    from ansible_collections.tgops.stack.plugins.module_utils.sqlite_backup import install_sqlite
    live_dir = tmp_path / 'vol'
    live_dir.mkdir()
    live = live_dir / 'organizer.db'
    make_db(live, rows=5).close()
    (live_dir / 'organizer.db-wal').write_bytes(b'old wal')
    restored = tmp_path / 'restored.db'
    make_db(restored, rows=2).close()
    for side in ('-wal', '-shm'):
        if os.path.exists(str(restored) + side):
            os.unlink(str(restored) + side)
    os.chmod(str(live), 0o640)
    # the copy cannot be written (a file in place of the temp dir's parent): the live DB and its WAL stay as they were
    before = live.read_bytes()
    bad = tmp_path / 'not-a-db'
    bad.write_bytes(b'garbage' * 100)
    with pytest.raises(StackError, match='refused: integrity_check of the DB to restore'):
        install_sqlite(str(bad), str(live))
    assert live.read_bytes() == before and (live_dir / 'organizer.db-wal').read_bytes() == b'old wal'
    assert sorted(os.listdir(str(live_dir))) == ['organizer.db', 'organizer.db-wal']
    result = install_sqlite(str(restored), str(live))
    assert result['changed'] and result['side_files_removed'] == [str(live) + '-wal']
    assert live.read_bytes() == restored.read_bytes() and stat.S_IMODE(os.stat(str(live)).st_mode) == 0o640
    assert sorted(os.listdir(str(live_dir))) == ['organizer.db']
    assert install_sqlite(str(restored), str(live))['changed'] is False


def test_install_failure_puts_the_side_files_back(tmp_path, monkeypatch):
    from ansible_collections.tgops.stack.plugins.module_utils import sqlite_backup
    live_dir = tmp_path / 'vol'
    live_dir.mkdir()
    live = live_dir / 'organizer.db'
    make_db(live, rows=5).close()
    (live_dir / 'organizer.db-wal').write_bytes(b'old wal')
    restored = tmp_path / 'restored.db'
    make_db(restored, rows=2).close()
    before = live.read_bytes()

    def failing_replace(a, b):
        raise OSError(28, 'No space left on device', b)
    monkeypatch.setattr(sqlite_backup.os, 'replace', failing_replace)
    with pytest.raises(StackError, match=r'\[Errno 28\] No space left on device .*the live DB was not touched'):
        sqlite_backup.install_sqlite(str(restored), str(live))
    assert live.read_bytes() == before and (live_dir / 'organizer.db-wal').read_bytes() == b'old wal'
    assert sorted(os.listdir(str(live_dir))) == ['organizer.db', 'organizer.db-wal']
