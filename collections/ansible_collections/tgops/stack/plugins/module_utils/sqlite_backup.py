# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Consistent online copy of a live SQLite database, checked before it is kept.

The copy is made by SQLite itself (the backup API in one step, or
``VACUUM INTO``), so it is a snapshot of one transaction even while the
application keeps writing; in WAL mode the copy does not block the writer.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time

from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import (
    commit_partial,
    fsync_dir,
    fsync_path,
    partial_path,
    remove_quietly,
    sha256_file,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.sqlite_probe import SQLITE_MAGIC, is_wal_mode, migration_revision, read_header, ro_uri

METHODS = ('backup_api', 'vacuum_into')
SIDE_SUFFIXES = ('-wal', '-shm', '-journal')


def quote_ident(name):
    return '"%s"' % name.replace('"', '""')


def copy_facts(conn):
    """integrity_check, {table: row_count} and schema_version of an open copy."""
    check = [row[0] for row in conn.execute('PRAGMA integrity_check').fetchall()]
    names = sorted(row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall())
    tables = {}
    for name in names:
        tables[name] = conn.execute('SELECT COUNT(*) FROM %s' % quote_ident(name)).fetchone()[0]
    revision = migration_revision(conn, names)
    return '; '.join(check), tables, revision


def refuse_message(src, check):
    return ('refused: integrity_check of the copy of %s returned %s; the live DB may be corrupt; nothing was uploaded'
            % (src, check[:500]))


def side_files(path):
    return dict((suffix, os.path.exists(path + suffix)) for suffix in SIDE_SUFFIXES)


def restore_side_file_owner(path, before):
    """chown -wal/-shm files this run created beside ``path`` to the owner of the DB file, so the app can still open them."""
    try:
        stat = os.stat(path)
    except OSError:
        return []
    fixed = []
    for suffix, existed in before.items():
        side = path + suffix
        if existed or not os.path.exists(side):
            continue
        try:
            side_stat = os.stat(side)
            if (side_stat.st_uid, side_stat.st_gid) != (stat.st_uid, stat.st_gid):
                os.chown(side, stat.st_uid, stat.st_gid)
                fixed.append(side)
        except OSError:
            pass
    return fixed


def _private_copy(src, directory):
    """Copy a WAL database with no open connection (no -shm) and its -wal to a private temp dir; return (tmpdir, path)."""
    tmpdir = tempfile.mkdtemp(prefix='.tgops-sqlite-', dir=directory)
    target = os.path.join(tmpdir, 'db.sqlite')
    shutil.copyfile(src, target)
    if os.path.exists(src + '-wal'):
        shutil.copyfile(src + '-wal', target + '-wal')
    return tmpdir, target


def _make_copy(source, tmp, method, busy_timeout_ms):
    src_conn = sqlite3.connect(ro_uri(source), uri=True, timeout=busy_timeout_ms / 1000.0)
    try:
        src_conn.execute('PRAGMA busy_timeout = %d' % int(busy_timeout_ms))
        if method == 'vacuum_into':
            os.unlink(tmp)  # VACUUM INTO wants a new file
            src_conn.execute('VACUUM INTO ?', (tmp,))
        else:
            dst_conn = sqlite3.connect(tmp)
            try:
                src_conn.backup(dst_conn, pages=-1)
            finally:
                dst_conn.close()
    finally:
        src_conn.close()


def is_refusal(exc):
    """A StackError that refuses the DB itself (corrupt, not a DB any more, lacking required tables), not the copy."""
    return exc.msg.startswith('refused:')


def raw_copy(src, dest):
    """Byte copy of ``src`` and its -wal/-journal (writers stopped) to ``dest``[-wal|-journal], each atomically; return the paths."""
    written = []
    for suffix in ('',) + SIDE_SUFFIXES:
        if suffix == '-shm' or not os.path.isfile(src + suffix):
            continue
        tmp = partial_path(dest + suffix)
        try:
            shutil.copyfile(src + suffix, tmp)
            commit_partial(tmp, dest + suffix)
            tmp = None
        finally:
            if tmp is not None:
                remove_quietly(tmp)
        written.append(dest + suffix)
    return written


def backup_sqlite(src, dest, method='backup_api', required_tables=None, busy_timeout_ms=5000, check_mode=False,
                  raw_copy_fallback=False):
    """Copy the live DB ``src`` to ``dest`` atomically and check the copy; return the result dict or raise StackError.

    With ``raw_copy_fallback`` a DB that is refused (integrity_check fails, it is no longer a database, required tables
    are missing) is copied byte for byte instead (with its -wal/-journal), and the result says ``verified: false`` and
    ``problem``: the safety copy before a production restore must not block the restore of a broken DB. Errors of the
    copy itself (no space, permissions) still fail.
    """
    try:
        result = _backup_sqlite(src, dest, method, required_tables, busy_timeout_ms, check_mode)
    except StackError as exc:
        if not raw_copy_fallback or not is_refusal(exc):
            raise
        started = time.time()
        src = os.path.abspath(os.path.expanduser(src))
        dest = os.path.abspath(os.path.expanduser(dest))
        try:
            files = raw_copy(src, dest)
        except OSError as err:
            raise StackError('%s; the raw copy that replaces it failed too: [Errno %s] %s' % (exc.msg, err.errno, err.strerror or err),
                             errno=err.errno) from err
        result = {'src': src, 'dest': dest, 'method': 'raw_copy', 'changed': True, 'verified': False, 'problem': exc.msg,
                  'files': files, 'integrity_check': exc.details.get('integrity_check'), 'tables': exc.details.get('tables'),
                  'schema_version': None, 'revision': None, 'source_size_bytes': os.path.getsize(src), 'wal_mode': None}
        result['sha256'], result['size_bytes'] = sha256_file(dest)
        result['duration_s'] = round(time.time() - started, 3)
        return result
    result.setdefault('verified', not check_mode)
    result.setdefault('problem', None)
    return result


def _backup_sqlite(src, dest, method='backup_api', required_tables=None, busy_timeout_ms=5000, check_mode=False):
    """Copy the live DB ``src`` to ``dest`` atomically and check the copy; return the result dict or raise StackError."""
    started = time.time()
    src = os.path.abspath(os.path.expanduser(src))
    dest = os.path.abspath(os.path.expanduser(dest))
    if method not in METHODS:
        raise StackError('method=%s is not one of %s' % (method, ', '.join(METHODS)))
    if not os.path.isfile(src):
        raise StackError('src=%s does not exist; pass the host path of the live DB (db_location_info\'s db.host_path)' % src)
    header = read_header(src)
    if not header.startswith(SQLITE_MAGIC):
        raise StackError('refused: src=%s is not a SQLite database (bad header); check src' % src)
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        raise StackError('dest=%s: directory %s does not exist; create it first' % (dest, directory))
    if os.path.realpath(src) == os.path.realpath(dest):
        raise StackError('dest=%s is the live DB itself; choose another dest' % dest)
    result = {'src': src, 'dest': dest, 'method': method, 'changed': True, 'size_bytes': None, 'sha256': None,
              'integrity_check': None, 'tables': None, 'schema_version': None, 'revision': None,
              'source_size_bytes': os.path.getsize(src), 'wal_mode': is_wal_mode(header)}
    if check_mode:
        result['duration_s'] = round(time.time() - started, 3)
        return result

    before = side_files(src)
    tmp = partial_path(dest)
    tmpdir = None
    try:
        source = src
        if result['wal_mode'] and not before['-shm']:
            tmpdir, source = _private_copy(src, directory)
        try:
            _make_copy(source, tmp, method, busy_timeout_ms)
        except sqlite3.DatabaseError as exc:
            if 'malformed' in str(exc) or 'not a database' in str(exc):
                raise StackError(refuse_message(src, str(exc)), integrity_check=str(exc)) from exc
            if 'disk is full' in str(exc):
                raise StackError('copying %s to %s failed: no space left on the filesystem of %s (errno 28, ENOSPC); free space there '
                                 'or point dest at a larger filesystem; no partial copy was kept' % (src, dest, directory)) from exc
            raise StackError('copying %s to %s (method %s) failed: %s; if the DB is busy raise busy_timeout_ms, if it is locked '
                             'by a long transaction retry later' % (src, dest, method, exc)) from exc
        os.chmod(tmp, 0o600)
        try:
            conn = sqlite3.connect(tmp)
            try:
                conn.execute('PRAGMA journal_mode = DELETE')  # a self-contained single file, whatever the source's mode
                check, tables, revision = copy_facts(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise StackError(refuse_message(src, str(exc)), integrity_check=str(exc)) from exc
        result['integrity_check'] = check
        if check != 'ok':
            raise StackError(refuse_message(src, check), integrity_check=check)
        missing = [t for t in required_tables or [] if t not in tables]
        if missing:
            raise StackError('refused: the copy of %s lacks required table(s) %s (tables: %s); is src the DB the runtime uses '
                             '(see db_location_info)? nothing was uploaded' % (src, ', '.join(missing), ', '.join(sorted(tables)) or 'none'),
                             tables=tables)
        result['tables'] = tables
        result['revision'] = revision
        if revision is not None and revision['table'] == 'schema_migrations':
            result['schema_version'] = revision['value']
        commit_partial(tmp, dest)
        tmp = None
    except OSError as exc:
        raise StackError('writing the copy %s failed: [Errno %s] %s; free space in %s or choose another dest; no partial copy was kept'
                         % (dest, exc.errno, exc.strerror or exc, directory), errno=exc.errno) from exc
    finally:
        if tmp is not None:
            remove_quietly(tmp, *(tmp + s for s in SIDE_SUFFIXES))
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
        result['side_files_chowned'] = restore_side_file_owner(src, before)
    result['sha256'], result['size_bytes'] = sha256_file(dest)
    result['duration_s'] = round(time.time() - started, 3)
    return result


def install_sqlite(src, dest, stamp=None, check_mode=False):
    """Put the DB file ``src`` (a verified copy from an archive) in place of the live DB ``dest``, all or nothing.

    The writers must be stopped. Steps: copy ``src`` to a temp file beside ``dest`` (same filesystem, owner and mode of
    ``dest``) and check it with integrity_check; move the live DB's -wal/-shm/-journal aside (renames); rename the temp
    over ``dest``; remove the set-aside files. Any failure before the final rename puts the side files back and removes
    the temp file, so the live DB is either fully replaced or untouched. Returns the result dict or raises StackError.
    """
    started = time.time()
    src = os.path.abspath(os.path.expanduser(src))
    dest = os.path.abspath(os.path.expanduser(dest))
    directory = os.path.dirname(dest)
    if not os.path.isfile(src):
        raise StackError('src=%s does not exist; pass the DB file extracted from the verified archive' % src)
    if not os.path.isdir(directory):
        raise StackError('dest=%s: directory %s does not exist; is the runtime volume there (db_location_info)?' % (dest, directory))
    result = {'src': src, 'dest': dest, 'changed': True, 'sha256': None, 'size_bytes': None, 'side_files_removed': [],
              'integrity_check': None}
    if os.path.isfile(dest) and sha256_file(src)[0] == sha256_file(dest)[0] and not any(side_files(dest).values()):
        result['changed'] = False
    if check_mode or not result['changed']:
        result['sha256'], result['size_bytes'] = sha256_file(dest) if os.path.isfile(dest) else (None, None)
        result['duration_s'] = round(time.time() - started, 3)
        return result
    stamp = stamp or time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
    tmp = None
    aside = []
    try:
        tmp = partial_path(dest)
        shutil.copyfile(src, tmp)
        try:
            # immutable: no -wal/-shm beside the temp file (the archived copy is a single self-contained file)
            conn = sqlite3.connect('file:%s?mode=ro&immutable=1' % tmp, uri=True)
            try:
                check = '; '.join(row[0] for row in conn.execute('PRAGMA integrity_check').fetchall())
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            check = str(exc)
        result['integrity_check'] = check
        if check != 'ok':
            raise StackError('refused: integrity_check of the DB to restore (%s) returned %s; the live DB %s was not touched'
                             % (src, check[:300], dest))
        if os.path.isfile(dest):
            stat = os.stat(dest)
            os.chown(tmp, stat.st_uid, stat.st_gid)
            os.chmod(tmp, stat.st_mode & 0o7777)
        fsync_path(tmp)
        for suffix in SIDE_SUFFIXES:
            if os.path.lexists(dest + suffix):
                target = '%s.replaced-%s' % (os.path.join(directory, '.' + os.path.basename(dest) + suffix), stamp)
                os.rename(dest + suffix, target)
                aside.append((dest + suffix, target))
        os.replace(tmp, dest)
        tmp = None
        fsync_dir(directory)
    except BaseException as exc:
        for original, target in reversed(aside):
            try:
                os.rename(target, original)
            except OSError:
                pass
        if tmp is not None:
            remove_quietly(tmp, *(tmp + s for s in SIDE_SUFFIXES))
        if isinstance(exc, OSError):
            raise StackError('restoring %s over the live DB %s failed: [Errno %s] %s (%s); the live DB was not touched'
                             % (src, dest, exc.errno, exc.strerror or exc, getattr(exc, 'filename', None) or directory),
                             errno=exc.errno) from exc
        raise
    for original, target in aside:
        remove_quietly(target)
        result['side_files_removed'].append(original)
    result['sha256'], result['size_bytes'] = sha256_file(dest)
    result['duration_s'] = round(time.time() - started, 3)
    return result
