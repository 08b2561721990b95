# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pg_dump -Fc inside the database container, streamed straight into a file on the host, then checked with pg_restore --list."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time

from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import (
    commit_partial,
    partial_path,
    remove_quietly,
    sha256_file,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError

TOC_TABLE_RE = re.compile(r'^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) \S+')
ALEMBIC_SQL = 'select version_num from alembic_version'


def pg_dump_cmd(docker_cli, container, user, database, compress=None):
    """``docker exec -i`` (never a TTY: it would mangle the binary stream) running pg_dump in custom format to stdout.

    ``compress`` is pg_dump's ``-Z`` level; None keeps pg_dump's default (zlib, single-threaded).
    """
    level = [] if compress is None else ['-Z', str(compress)]
    return [docker_cli, 'exec', '-i', container, 'pg_dump', '-Fc'] + level + ['--no-password', '-U', user, '-d', database]


def pg_restore_list_cmd(docker_cli, container):
    """pg_restore --list reading the dump from stdin (fed from the host file)."""
    return [docker_cli, 'exec', '-i', container, 'pg_restore', '--list']


def pg_restore_data_cmd(docker_cli, container):
    """pg_restore --data-only writing the COPY blocks of the dump (fed on stdin) as text to stdout: one line per row."""
    return [docker_cli, 'exec', '-i', container, 'pg_restore', '--data-only', '-f', '-']


COPY_RE = re.compile(r'^COPY (?P<table>.+?) (?:\(.*\) )?FROM stdin;$')
IDENT_RE = re.compile(r'"((?:[^"]|"")*)"|([^".]+)')


def split_qualified(name):
    """['schema', 'table'] of a (possibly quoted) ``schema.table`` as pg_restore prints it."""
    parts = []
    pos = 0
    while pos < len(name):
        match = IDENT_RE.match(name, pos)
        if not match:
            break
        parts.append(match.group(1).replace('""', '"') if match.group(1) is not None else match.group(2))
        pos = match.end()
        if pos < len(name) and name[pos] == '.':
            pos += 1
    return parts


def table_label(schema, name):
    """``name`` in public, ``schema.name`` elsewhere (the form the manifest and the TOC use)."""
    return name if schema in ('public', None) else '%s.%s' % (schema, name)


class RowCounter:
    """Count the rows of each table in ``pg_restore --data-only`` text output, line by line.

    COPY text format escapes newlines inside values, so each data line between ``COPY ... FROM stdin;`` and ``\\.`` is one row.
    """

    def __init__(self):
        self.counts = {}
        self.current = None

    def feed(self, line):
        line = line.rstrip('\n')
        if self.current is not None:
            if line == '\\.':
                self.current = None
            else:
                self.counts[self.current] += 1
            return
        match = COPY_RE.match(line)
        if match:
            parts = split_qualified(match.group('table'))
            label = table_label(parts[0], parts[1]) if len(parts) == 2 else '.'.join(parts)
            self.counts.setdefault(label, 0)
            self.current = label


def count_rows(lines):
    counter = RowCounter()
    for line in lines:
        counter.feed(line)
    return counter.counts


def run_row_counts(cmd, dump_path, env):
    """pg_restore --data-only fed from ``dump_path``; return (rc, {table: rows}, stderr)."""
    with open(dump_path, 'rb') as stdin, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=err, env=env)
        counter = RowCounter()
        for raw in proc.stdout:
            counter.feed(raw.decode('utf-8', 'replace'))
        proc.stdout.close()
        rc = proc.wait()
        return rc, counter.counts, _stderr_text(err)


def psql_cmd(docker_cli, container, user, database, sql):
    return [docker_cli, 'exec', container, 'psql', '-X', '--no-password', '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-tAc', sql]


def parse_toc_line(line, state):
    """Accumulate one ``pg_restore --list`` line into ``state`` {toc_entries, tables}."""
    line = line.rstrip('\n')
    if not line.strip() or line.startswith(';'):
        return state
    state['toc_entries'] += 1
    match = TOC_TABLE_RE.match(line)
    if match:
        schema, name = match.group(1), match.group(2)
        state['tables'].append(name if schema == 'public' else '%s.%s' % (schema, name))
    return state


def parse_toc(lines):
    state = {'toc_entries': 0, 'tables': []}
    for line in lines:
        parse_toc_line(line, state)
    state['tables'] = sorted(state['tables'])
    return state


def _stderr_text(handle):
    handle.seek(0)
    return handle.read(65536).decode('utf-8', 'replace').strip()


def run_to_file(cmd, out_handle, env, stdin_handle=None):
    """Run ``cmd`` with stdout going straight to ``out_handle`` (no buffering in memory); return (rc, stderr)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=stdin_handle if stdin_handle is not None else subprocess.DEVNULL,
                                stdout=out_handle, stderr=err, env=env)
        rc = proc.wait()
        return rc, _stderr_text(err)


def run_toc(cmd, dump_path, env):
    """pg_restore --list fed from ``dump_path``; the TOC is parsed line by line; return (rc, state, stderr)."""
    with open(dump_path, 'rb') as stdin, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=err, env=env)
        state = {'toc_entries': 0, 'tables': []}
        for raw in proc.stdout:
            parse_toc_line(raw.decode('utf-8', 'replace'), state)
        proc.stdout.close()
        rc = proc.wait()
        state['tables'] = sorted(state['tables'])
        return rc, state, _stderr_text(err)


def dump_postgres(docker_cli, container, user, database, dest, environ=None, run_command=None, check_mode=False, compress=None):
    """Dump ``database`` of the running ``container`` to ``dest`` atomically, verify it; return the result dict.

    ``run_command`` is AnsibleModule.run_command, used only for the small psql query of the Alembic revision.
    """
    started = time.time()
    dest = os.path.abspath(os.path.expanduser(dest))
    directory = os.path.dirname(dest)
    if not os.path.isdir(directory):
        raise StackError('dest=%s: directory %s does not exist; create it first' % (dest, directory))
    env = dict(os.environ)
    env.update(environ or {})
    cmd = pg_dump_cmd(docker_cli, container, user, database, compress)
    result = {'dest': dest, 'container': container, 'db_user': user, 'db_name': database, 'cmd': cmd, 'changed': True,
              'size_bytes': None, 'sha256': None, 'toc_entries': None, 'tables': None, 'row_counts': None,
              'alembic_revision': None}
    if check_mode:
        result['duration_s'] = round(time.time() - started, 3)
        return result
    tmp = partial_path(dest)
    try:
        with open(tmp, 'wb') as out:
            rc, stderr = run_to_file(cmd, out, env)
            out.flush()
            os.fsync(out.fileno())
        if rc != 0:
            raise StackError('pg_dump in container %s (user %s, database %s) failed (rc=%s): %s; check db_user/db_name (or POSTGRES_USER/'
                             'POSTGRES_DB of the container) and that the database accepts local connections'
                             % (container, user, database, rc, stderr or 'no output'), cmd=cmd, rc=rc, stdout='', stderr=stderr)
        if os.path.getsize(tmp) == 0:
            raise StackError('pg_dump in container %s wrote nothing; check the container logs' % container,
                             cmd=cmd, rc=rc, stdout='', stderr=stderr)
        list_cmd = pg_restore_list_cmd(docker_cli, container)
        rc, state, stderr = run_toc(list_cmd, tmp, env)
        if rc != 0:
            raise StackError('pg_restore --list rejected the dump of %s (rc=%s): %s; the dump is not usable, nothing was kept'
                             % (database, rc, stderr or 'no output'), cmd=list_cmd, rc=rc, stdout='', stderr=stderr)
        result['toc_entries'] = state['toc_entries']
        result['tables'] = state['tables']
        # Row counts of the dump itself (its own snapshot), for the manifest and the restore verification.
        data_cmd = pg_restore_data_cmd(docker_cli, container)
        rc, counts, stderr = run_row_counts(data_cmd, tmp, env)
        if rc != 0:
            raise StackError('pg_restore --data-only could not read the data of the dump of %s (rc=%s): %s; the dump is not usable, '
                             'nothing was kept' % (database, rc, stderr or 'no output'), cmd=data_cmd, rc=rc, stdout='', stderr=stderr)
        result['row_counts'] = dict((table, counts.get(table, 0)) for table in state['tables'])
        if 'alembic_version' in state['tables'] and run_command is not None:
            q_cmd = psql_cmd(docker_cli, container, user, database, ALEMBIC_SQL)
            rc, stdout, stderr = run_command(q_cmd, environ_update=environ or {})
            if rc != 0:
                raise StackError('reading alembic_version in container %s failed: %s' % (container, (stderr or stdout or '').strip()),
                                 cmd=q_cmd, rc=rc, stdout=stdout, stderr=stderr)
            versions = [line.strip() for line in (stdout or '').splitlines() if line.strip()]
            result['alembic_revision'] = versions[0] if versions else None
        result['sha256'], result['size_bytes'] = sha256_file(tmp)
        commit_partial(tmp, dest)
        tmp = None
    except OSError as exc:
        raise StackError('writing the dump %s failed: [Errno %s] %s; free space in %s or choose another dest; no partial dump was kept'
                         % (dest, exc.errno, exc.strerror or exc, directory), errno=exc.errno) from exc
    finally:
        if tmp is not None:
            remove_quietly(tmp)
    result['duration_s'] = round(time.time() - started, 3)
    return result
