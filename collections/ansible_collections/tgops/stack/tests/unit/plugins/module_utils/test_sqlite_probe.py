# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import sqlite3

from ansible_collections.tgops.stack.plugins.module_utils.sqlite_probe import inspect_sqlite, is_wal_mode, read_header, ro_uri


def make_db(path, wal=False):
    conn = sqlite3.connect(str(path))
    if wal:
        conn.execute('PRAGMA journal_mode=wal')
        conn.execute('PRAGMA wal_autocheckpoint=0')
    conn.execute('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)')
    conn.executemany('INSERT INTO schema_migrations VALUES (?, ?)', [(1, 'a'), (2, 'b'), (7, 'c')])
    conn.execute('CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT)')
    conn.commit()
    return conn


def test_rollback_journal_db(tmp_path):
    path = tmp_path / 'organizer.db'
    make_db(path).close()
    facts = inspect_sqlite(str(path), ['tasks', 'users'])
    assert facts['exists'] is True and facts['size_bytes'] == os.path.getsize(str(path))
    assert facts['quick_check'] == 'ok'
    assert facts['tables'] == ['schema_migrations', 'tasks']
    assert facts['missing_tables'] == ['users']
    assert facts['revision'] == {'table': 'schema_migrations', 'column': 'version', 'value': 7}
    assert facts['read_method'] == 'direct read-only'
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']


def test_wal_db_with_open_writer_reads_uncheckpointed_data(tmp_path):
    path = tmp_path / 'organizer.db'
    writer = make_db(path, wal=True)
    try:
        writer.execute('CREATE TABLE late (x)')
        writer.commit()
        assert os.path.exists(str(path) + '-shm')
        facts = inspect_sqlite(str(path), ['late'])
        assert 'late' in facts['tables'] and facts['missing_tables'] == []
        assert facts['read_method'] == 'direct read-only'
    finally:
        writer.close()


def test_wal_db_without_shm_is_copied_and_leaves_no_files(tmp_path):
    path = tmp_path / 'organizer.db'
    make_db(path, wal=True).close()
    assert is_wal_mode(read_header(str(path)))
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']
    facts = inspect_sqlite(str(path), ['tasks'])
    assert facts['quick_check'] == 'ok' and facts['missing_tables'] == []
    assert facts['read_method'] == 'read-only copy (WAL database without -shm)'
    assert sorted(os.listdir(str(tmp_path))) == ['organizer.db']


def test_alembic_version(tmp_path):
    path = tmp_path / 'a.db'
    conn = sqlite3.connect(str(path))
    conn.execute('CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)')
    conn.execute("INSERT INTO alembic_version VALUES ('3f2a1b9c0d1e')")
    conn.commit()
    conn.close()
    assert inspect_sqlite(str(path))['revision'] == {'table': 'alembic_version', 'column': 'version_num', 'value': '3f2a1b9c0d1e'}


def test_missing_empty_and_foreign_files(tmp_path):
    missing = inspect_sqlite(str(tmp_path / 'nope.db'), ['tasks'])
    assert missing['exists'] is False and missing['missing_tables'] == ['tasks'] and missing['size_bytes'] is None
    empty = tmp_path / 'empty.db'
    empty.write_bytes(b'')
    assert inspect_sqlite(str(empty))['quick_check'] == 'empty file (0 bytes): not initialized'
    text = tmp_path / 'text.db'
    text.write_text('hello')
    assert inspect_sqlite(str(text), ['tasks'])['quick_check'] == 'not a SQLite database'


def test_ro_uri_quotes_path():
    assert ro_uri('/v/a b?.db') == 'file:/v/a%20b%3F.db?mode=ro'


def test_quick_check_can_be_skipped_when_only_the_location_matters(tmp_path):
    path = tmp_path / 'organizer.db'
    make_db(path).close()
    facts = inspect_sqlite(str(path), ['tasks'], quick_check=False)
    assert facts['quick_check'] is None
    assert facts['exists'] is True and facts['missing_tables'] == [] and 'tasks' in facts['tables']
