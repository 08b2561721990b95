# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read-only, WAL-safe inspection of a SQLite file seen from the Docker host."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from urllib.parse import quote

SQLITE_MAGIC = b'SQLite format 3\x00'
MIGRATION_TABLES = ('schema_migrations', 'alembic_version', 'migrations', 'schema_version')


def read_header(path):
    with open(path, 'rb') as handle:
        return handle.read(100)


def is_wal_mode(header):
    """Bytes 18/19 of the header are the read/write format versions; 2 means WAL."""
    return len(header) >= 20 and header[18] == 2 and header[19] == 2


def ro_uri(path):
    return 'file:%s?mode=ro' % quote(os.path.abspath(path))


def migration_revision(conn, tables):
    """{table, column, value} of the newest migration found, or None."""
    for table in MIGRATION_TABLES:
        if table not in tables:
            continue
        columns = [row[1] for row in conn.execute('PRAGMA table_info("%s")' % table).fetchall()]
        for column in ('version', 'version_num', 'id', 'name'):
            if column in columns:
                if table == 'alembic_version':
                    row = conn.execute('SELECT "%s" FROM "%s" LIMIT 1' % (column, table)).fetchone()
                else:
                    row = conn.execute('SELECT MAX("%s") FROM "%s"' % (column, table)).fetchone()
                return {'table': table, 'column': column, 'value': None if row is None else row[0]}
    return None


def query_sqlite(path, quick_check=True):
    """quick_check (a full read of the file; None when not asked), tables and migration info of a SQLite file opened read-only."""
    conn = sqlite3.connect(ro_uri(path), uri=True)
    try:
        check = [row[0] for row in conn.execute('PRAGMA quick_check').fetchall()] if quick_check else None
        tables = sorted(row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall())
        revision = migration_revision(conn, tables)
    finally:
        conn.close()
    return {'quick_check': '; '.join(check) if check is not None else None, 'tables': tables, 'revision': revision}


def inspect_sqlite(path, required_tables=None, quick_check=True):
    """Facts about the SQLite file at host ``path``; never writes next to it.

    A database in WAL mode whose ``-shm`` file is absent (no connection open) is
    copied with its ``-wal`` to a temporary directory first: opening it in place,
    even read-only, would leave root-owned ``-wal``/``-shm`` files in the volume.
    """
    result = {
        'exists': os.path.isfile(path),
        'size_bytes': None,
        'quick_check': None,
        'tables': [],
        'required_tables': list(required_tables or []),
        'missing_tables': list(required_tables or []),
        'revision': None,
        'read_method': None,
        'error': None,
    }
    if not result['exists']:
        return result
    result['size_bytes'] = os.path.getsize(path)
    if result['size_bytes'] == 0:
        result['quick_check'] = 'empty file (0 bytes): not initialized'
        return result
    header = read_header(path)
    if not header.startswith(SQLITE_MAGIC):
        result['quick_check'] = 'not a SQLite database'
        return result
    tmpdir = None
    try:
        target = path
        result['read_method'] = 'direct read-only'
        if is_wal_mode(header) and not os.path.exists(path + '-shm'):
            tmpdir = tempfile.mkdtemp(prefix='tgops-sqlite-')
            target = os.path.join(tmpdir, 'db.sqlite')
            shutil.copy2(path, target)
            if os.path.exists(path + '-wal'):
                shutil.copy2(path + '-wal', target + '-wal')
            result['read_method'] = 'read-only copy (WAL database without -shm)'
        result.update(query_sqlite(target, quick_check))
    except (sqlite3.Error, OSError) as exc:
        result['error'] = str(exc)
        result['quick_check'] = 'error: %s' % exc
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    result['missing_tables'] = [t for t in result['required_tables'] if t not in result['tables']]
    return result
