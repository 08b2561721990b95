# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real cause of a failed task, in one line, for messages and journal entries.

A task that failed because its command exited non-zero carries no ``msg`` (Ansible only sets ``failed``), so a
rescue that prints ``ansible_failed_result.msg`` says nothing, and one that defaults it says "Unknown error".
``failure_cause`` reads what the command itself said: the first line of its stderr (else stdout) that reads like
an error, else its last line, with the exit code.
"""

from __future__ import annotations

import re

# Lines that carry the cause in the output of docker, compose, psql/pg_restore, sqlite3, alembic, Python.
ERROR_LINE = re.compile(
    r'(\berror\b|\bfatal\b|\bfailed\b|\bfailure\b|denied|refused|cannot|can\'t|could not|no such|not found|'
    r'exception|panic|traceback|timed out|timeout|unhealthy|exited)',
    re.IGNORECASE,
)
# Messages that name no cause by themselves.
GENERIC_MSG = re.compile(r'^(task failed: )?(action failed: )?(non-zero return code|module failure|unknown error|'
                         r'all items completed|one or more items failed)?[.:]?\s*$', re.IGNORECASE)
# ansible-core 2.19 prefixes what it adds itself; strip it before judging the message.
GENERIC_PREFIX = re.compile(r'^(task failed: )?(action failed: )?(unknown error[.:]?\s*)?', re.IGNORECASE)
MAX_LEN = 400


def _lines(text):
    if isinstance(text, (list, tuple)):
        text = '\n'.join(str(t) for t in text)
    return [line.strip() for line in str(text or '').splitlines() if line.strip()]


def output_cause(stderr='', stdout=''):
    """The first error-like line of stderr (else of stdout), else the last line of stderr or stdout; '' when silent."""
    for text in (stderr, stdout):
        lines = _lines(text)
        for line in lines:
            if ERROR_LINE.search(line) and not line.lower().startswith('traceback'):
                return line
    for text in (stderr, stdout):
        lines = _lines(text)
        if lines:
            return lines[-1]
    return ''


def failure_cause(result, default='the task failed without a message'):
    """One line naming why a registered/failed task result failed.

    Order: a specific ``msg`` (first line); the command's own error line (stderr, then stdout); a looped task's
    first failed item; ``default``. The exit code is appended when the result has one.
    """
    if not isinstance(result, dict):
        return str(result) if result else default
    msg_lines = _lines(result.get('msg'))
    msg = msg_lines[0] if msg_lines else ''
    if msg and not GENERIC_MSG.match(msg):
        msg = GENERIC_PREFIX.sub('', msg) or msg
    cause = output_cause(result.get('stderr') or result.get('stderr_lines'), result.get('stdout') or result.get('stdout_lines'))
    if not cause and (not msg or GENERIC_MSG.match(msg)):
        for item in result.get('results') or []:
            if isinstance(item, dict) and item.get('failed'):
                return failure_cause(item, default)
    if msg and not GENERIC_MSG.match(msg):
        text = msg if not cause or cause in msg else '%s: %s' % (msg.rstrip('.: '), cause)
    else:
        text = cause or default
    rc = result.get('rc')
    if rc not in (None, 0, '0') and 'rc=' not in text:
        text = '%s (rc=%s)' % (text, rc)
    if len(text) > MAX_LEN:
        text = text[:MAX_LEN - 3] + '...'
    return text
