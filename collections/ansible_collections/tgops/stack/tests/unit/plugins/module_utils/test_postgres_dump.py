# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import sha256_file
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.postgres_dump import (
    count_rows,
    dump_postgres,
    parse_toc,
    pg_dump_cmd,
    pg_restore_list_cmd,
    psql_cmd,
)

HERE = os.path.dirname(os.path.abspath(__file__))
TOC_FIXTURE = os.path.join(HERE, 'fixtures', 'backup_pg_restore_list.txt')

# A stand-in for the docker CLI: pg_dump writes DUMP_BYTES bytes (or fails half way), pg_restore --list reads
# its stdin and prints the recorded TOC, psql prints the Alembic revision.
FAKE_DOCKER = r'''#!/bin/sh
echo "$@" >> "$FAKE_LOG"
case "$*" in
  *" pg_dump "*)
    [ -t 1 ] && { echo "stdout is a TTY" >&2; exit 9; }
    printf 'PGDMP'
    head -c "$DUMP_BYTES" /dev/zero
    if [ -n "$FAIL_DUMP" ]; then echo 'pg_dump: error: connection to server failed: FATAL:  role "nobody" does not exist' >&2; exit 1; fi
    ;;
  *" pg_restore --list"*)
    n=$(wc -c | tr -d ' ')
    [ "$n" -gt 0 ] || { echo "pg_restore: error: input file is too short" >&2; exit 1; }
    if [ -n "$FAIL_LIST" ]; then echo "pg_restore: error: did not find magic string in file header" >&2; exit 1; fi
    cat "$TOC_FIXTURE"
    ;;
  *" pg_restore --data-only"*)
    cat > /dev/null
    if [ -n "$FAIL_DATA" ]; then echo "pg_restore: error: could not read from input file: end of file" >&2; exit 1; fi
    printf '%s\n' 'COPY public.alembic_version (version_num) FROM stdin;' '0003' '\.' '' \
      'COPY public.quiet_queue (id, chat_id, text) FROM stdin;' '\.' '' \
      'COPY reports.runs (id) FROM stdin;' '1' '2' '\.' '' \
      'COPY public.users (id, name) FROM stdin;' '1\tann\\nline two' '2\tbob' '3\tCOPY x FROM stdin;' '\.'
    ;;
  *" psql "*)
    echo 0003
    ;;
esac
'''


@pytest.fixture
def fake_docker(tmp_path, monkeypatch):
    path = tmp_path / 'docker'
    path.write_text(FAKE_DOCKER)
    path.chmod(0o755)
    monkeypatch.setenv('FAKE_LOG', str(tmp_path / 'calls.log'))
    monkeypatch.setenv('TOC_FIXTURE', TOC_FIXTURE)
    monkeypatch.setenv('DUMP_BYTES', str(3 * 1024 * 1024))
    monkeypatch.delenv('FAIL_DUMP', raising=False)
    monkeypatch.delenv('FAIL_LIST', raising=False)
    monkeypatch.delenv('FAIL_DATA', raising=False)
    return str(path)


def run_command_for(environ_seen):
    import subprocess  # pylint: disable=import-outside-toplevel

    def run_command(cmd, environ_update=None):
        environ_seen.append(environ_update)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    return run_command


def test_parse_toc_recorded_output():
    with open(TOC_FIXTURE) as handle:
        state = parse_toc(handle)
    assert state['toc_entries'] == 22
    assert state['tables'] == ['alembic_version', 'quiet_queue', 'reports.runs', 'users']
    assert parse_toc([';', '', '; comment']) == {'toc_entries': 0, 'tables': []}


def test_commands_never_use_a_tty():
    assert pg_dump_cmd('docker', 'sprint-db-1', 'sprint', 'sprint') == [
        'docker', 'exec', '-i', 'sprint-db-1', 'pg_dump', '-Fc', '--no-password', '-U', 'sprint', '-d', 'sprint']
    assert pg_dump_cmd('docker', 'c', 'u', 'n', compress=0) == [
        'docker', 'exec', '-i', 'c', 'pg_dump', '-Fc', '-Z', '0', '--no-password', '-U', 'u', '-d', 'n']
    assert pg_restore_list_cmd('docker', 'c') == ['docker', 'exec', '-i', 'c', 'pg_restore', '--list']
    for cmd in (pg_dump_cmd('d', 'c', 'u', 'n'), pg_restore_list_cmd('d', 'c'), psql_cmd('d', 'c', 'u', 'n', 'select 1')):
        assert '-t' not in cmd and '-it' not in cmd


def test_dump_streams_to_file_and_checks(fake_docker, tmp_path):
    dest = tmp_path / 'out' / 'sprint.dump'
    dest.parent.mkdir()
    seen = []
    result = dump_postgres(fake_docker, 'tgopsbk-db-1', 'sprint', 'sprint', str(dest), {'LC_ALL': 'C'}, run_command_for(seen))
    assert result['size_bytes'] == 5 + 3 * 1024 * 1024
    assert (result['sha256'], result['size_bytes']) == sha256_file(str(dest))
    assert result['toc_entries'] == 22 and 'users' in result['tables']
    assert result['alembic_revision'] == '0003'
    assert result['row_counts'] == {'alembic_version': 1, 'quiet_queue': 0, 'reports.runs': 2, 'users': 3}
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o600
    assert os.listdir(str(dest.parent)) == ['sprint.dump']
    calls = (tmp_path / 'calls.log').read_text().splitlines()
    assert calls[0].startswith('exec -i tgopsbk-db-1 pg_dump -Fc') and calls[1].endswith('pg_restore --list')
    assert calls[2].endswith('pg_restore --data-only -f -')


def test_failed_dump_removes_partial(fake_docker, tmp_path, monkeypatch):
    monkeypatch.setenv('FAIL_DUMP', '1')
    dest = tmp_path / 'out' / 'sprint.dump'
    dest.parent.mkdir()
    with pytest.raises(StackError) as info:
        dump_postgres(fake_docker, 'tgopsbk-db-1', 'nobody', 'sprint', str(dest))
    assert 'pg_dump in container tgopsbk-db-1 (user nobody, database sprint) failed (rc=1)' in info.value.msg
    assert info.value.details['rc'] == 1 and 'role "nobody"' in info.value.details['stderr']
    assert info.value.details['cmd'][:3] == [fake_docker, 'exec', '-i']
    assert os.listdir(str(dest.parent)) == []


def test_rejected_dump_removes_partial(fake_docker, tmp_path, monkeypatch):
    monkeypatch.setenv('FAIL_LIST', '1')
    with pytest.raises(StackError, match='pg_restore --list rejected'):
        dump_postgres(fake_docker, 'c', 'sprint', 'sprint', str(tmp_path / 'sprint.dump'))
    assert [n for n in os.listdir(str(tmp_path)) if 'sprint.dump' in n] == []


def test_check_mode_and_missing_dir(fake_docker, tmp_path):
    result = dump_postgres(fake_docker, 'c', 'sprint', 'sprint', str(tmp_path / 'x.dump'), check_mode=True)
    assert result['sha256'] is None and result['cmd'][4] == 'pg_dump'
    assert not (tmp_path / 'calls.log').exists() and not (tmp_path / 'x.dump').exists()
    with pytest.raises(StackError, match='directory .* does not exist'):
        dump_postgres(fake_docker, 'c', 'sprint', 'sprint', str(tmp_path / 'no' / 'x.dump'))


def test_unreadable_dump_data_removes_partial(fake_docker, tmp_path, monkeypatch):
    monkeypatch.setenv('FAIL_DATA', '1')
    with pytest.raises(StackError, match='pg_restore --data-only could not read the data') as info:
        dump_postgres(fake_docker, 'c', 'sprint', 'sprint', str(tmp_path / 'sprint.dump'))
    assert info.value.details['rc'] == 1 and 'end of file' in info.value.details['stderr']
    assert [n for n in os.listdir(str(tmp_path)) if 'sprint.dump' in n] == []


def test_count_rows_of_quoted_and_schema_tables():
    lines = ['COPY "Weird ""T""" (a) FROM stdin;', 'x', '\\.', 'COPY s.t FROM stdin;', '\\.', 'SET x = 1;',
             'COPY public."Users" (id) FROM stdin;', '1', '2', '\\.']
    assert count_rows(lines) == {'Weird "T"': 1, 's.t': 0, 'Users': 2}
