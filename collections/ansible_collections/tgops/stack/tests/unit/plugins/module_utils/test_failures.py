# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.failures import failure_cause, output_cause

# Recorded output of pg_restore --single-transaction --exit-on-error over a DB where a view depends on users.
PG_RESTORE_STDERR = (
    'pg_restore: while PROCESSING TOC:\n'
    'pg_restore: from TOC entry 215; 1259 16390 TABLE users sprint\n'
    'pg_restore: error: could not execute query: ERROR:  cannot drop table public.users because other objects depend on it\n'
    'DETAIL:  view user_names depends on table public.users\n'
    'HINT:  Use DROP ... CASCADE to drop the dependent objects too.\n'
    'Command was: DROP TABLE IF EXISTS public.users;\n'
)


def test_command_without_msg_names_its_error_line_and_rc():
    result = {'failed': True, 'rc': 1, 'stdout': '', 'stderr': PG_RESTORE_STDERR}
    assert failure_cause(result) == (
        'pg_restore: error: could not execute query: ERROR:  cannot drop table public.users because other objects '
        'depend on it (rc=1)')


def test_generic_msg_is_replaced_by_the_command_output():
    result = {'failed': True, 'rc': 2, 'msg': 'non-zero return code', 'stderr': 'sqlite3: Error: database is locked\n'}
    assert failure_cause(result) == 'sqlite3: Error: database is locked (rc=2)'


def test_specific_msg_wins_and_gets_the_error_line():
    result = {'failed': True, 'msg': 'Error starting project', 'rc': 1,
              'stderr': ' Container deploy-api-1  Starting\nError response from daemon: No such image: todo:v9\n'}
    assert failure_cause(result) == 'Error starting project: Error response from daemon: No such image: todo:v9 (rc=1)'


def test_specific_msg_alone():
    assert failure_cause({'failed': True, 'msg': 'disk full\nmore detail'}) == 'disk full'


def test_silent_failure_uses_the_last_line_or_default():
    assert failure_cause({'failed': True, 'rc': 3, 'stdout': 'step 1\nstep 2\n'}) == 'step 2 (rc=3)'
    assert failure_cause({'failed': True}) == 'the task failed without a message'
    assert failure_cause({}, default='x') == 'x'
    assert failure_cause(None, default='y') == 'y'


def test_looped_task_names_the_failed_item():
    result = {'failed': True, 'msg': 'One or more items failed',
              'results': [{'rc': 0}, {'failed': True, 'rc': 1, 'stderr_lines': ['ERROR: relation "tasks" does not exist']}]}
    assert failure_cause(result) == 'ERROR: relation "tasks" does not exist (rc=1)'


def test_traceback_header_is_skipped_for_the_exception_line():
    stderr = 'Traceback (most recent call last):\n  File "x.py", line 1\nalembic.util.exc.CommandError: Can\'t locate revision abc\n'
    assert failure_cause({'rc': 1, 'stderr': stderr}) == "alembic.util.exc.CommandError: Can't locate revision abc (rc=1)"


def test_long_lines_are_cut():
    assert len(failure_cause({'msg': 'x' * 1000})) == 400


def test_output_cause_prefers_stderr():
    assert output_cause('warning only\n', 'ERROR: in stdout') == 'ERROR: in stdout'
    assert output_cause('', '') == ''


def test_ansible_2_19_generic_wording_is_not_a_cause():
    # recorded: what ansible-core 2.19 sets as msg for a result failed by failed_when / an exhausted until loop
    assert failure_cause({'failed': True, 'msg': 'Task failed: Action failed: Unknown error.', 'rc': 1,
                          'stderr': 'Error response from daemon: container x is not running'}) == (
        'Error response from daemon: container x is not running (rc=1)')
    assert failure_cause({'failed': True, 'msg': 'Task failed: Action failed: Unknown error: disk full'}) == 'disk full'
    assert failure_cause({'failed': True, 'msg': 'Task failed: Action failed: Unknown error.'}) == 'the task failed without a message'
