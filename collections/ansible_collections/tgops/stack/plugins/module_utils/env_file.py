# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""env_file_info logic: keys and file facts of a dotenv file, never values."""

from __future__ import annotations

import os
import pwd
import stat

from ansible_collections.tgops.stack.plugins.module_utils.dotenv import normalize_mode, parse_dotenv, summarize_dotenv
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def mode_ok(mode, expected):
    """True when ``mode`` grants nothing beyond ``expected`` (0400 is fine for an expected 0600, 0644 is not)."""
    return (int(mode, 8) & ~int(expected, 8)) == 0


def owner_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def env_file_report(path, required_keys=None, expected_mode='0600', must_exist=True):
    """The ``env`` result of env_file_info."""
    try:
        expected = normalize_mode(expected_mode)
    except ValueError:
        raise StackError('expected_mode=%s is not an octal file mode; use for example 0600' % expected_mode) from None
    full = os.path.abspath(os.path.expanduser(path))
    result = {
        'path': full, 'exists': False, 'keys': [], 'duplicates': [], 'missing_keys': list(required_keys or []), 'empty_keys': [],
        'mode': None, 'expected_mode': expected, 'mode_ok': None, 'owner': None, 'line_count': 0, 'invalid_lines': [],
    }
    if not os.path.exists(full):
        if must_exist:
            raise StackError('path=%s: env file does not exist; create it (mode %s) or fix the path option, or set must_exist=false'
                             % (full, expected))
        return result
    if not os.path.isfile(full):
        raise StackError('path=%s is not a regular file; point the path option at the env file' % full)
    info = os.stat(full)
    try:
        with open(full, 'rb') as handle:
            text = handle.read().decode('utf-8', errors='replace')
    except OSError as exc:
        raise StackError('path=%s: cannot read the env file: %s' % (full, exc.strerror or exc)) from exc
    result.update(summarize_dotenv(parse_dotenv(text), required_keys))
    mode = '%04o' % stat.S_IMODE(info.st_mode)
    result.update(exists=True, mode=mode, mode_ok=mode_ok(mode, expected), owner=owner_name(info.st_uid))
    return result
