# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helpers shared by the unit tests of module_utils: an archive's sources and compressors, a fake HTTP answer,
git's recorded answers and a runner that gives them."""

from __future__ import annotations

import os
import shutil

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_archive import zstandard

ZSTD_CLI = shutil.which('zstd')
ENV_TEXT = 'BOT_TOKEN=123456:very-secret\nDB_PATH=/data/organizer.db\n# OLD=hidden\n'


def make_sources(tmp_path):
    """A DB file, an uploads tree and an env file under tmp_path/src; an empty tmp_path/out. Returns (src, out)."""
    src = tmp_path / 'src'
    (src / 'uploads' / 'nested').mkdir(parents=True)
    (src / 'organizer.db').write_bytes(os.urandom(300 * 1024))
    (src / 'uploads' / 'a.csv').write_text('id,title\n1,x\n')
    (src / 'uploads' / 'nested' / 'b.bin').write_bytes(b'\x00' * 5000)
    (src / '.env.prod').write_text(ENV_TEXT)
    out = tmp_path / 'out'
    out.mkdir()
    return src, out


def members_of(src):
    return [{'src': str(src / 'organizer.db'), 'arcname': 'db/organizer.db'}, {'src': str(src / 'uploads'), 'arcname': 'uploads'}]


def tool_params():
    """(compression, zstd_cli, has_zstandard) for every compressor this machine has."""
    params = [pytest.param('gzip', None, False, id='python-gzip')]
    if zstandard is not None:
        params.append(pytest.param('zstd', None, True, id='python-zstandard'))
    if ZSTD_CLI:
        params.append(pytest.param('zstd', ZSTD_CLI, False, id='zstd-cli'))
    return params


class FakeResponse:
    """What open_url returns, as far as the code under test reads it."""

    def __init__(self, code, body):
        self.code, self.body = code, body

    def getcode(self):
        return self.code

    def read(self):
        return self.body


# What git 2.39 printed here (rc, stdout, stderr) for: a checkout, a directory that is not one, a missing directory,
# a repository without a commit (stdout echoes HEAD), and a checkout owned by another user.
SHA = '27ee123c0ffee1234567890abcdef1234567890a'
GIT_OK = (0, SHA + '\n', '')
GIT_NOT_A_REPO = (128, '', 'fatal: not a git repository (or any of the parent directories): .git\n')
GIT_MISSING_DIR = (128, '', "fatal: cannot change to '/nonexistent': No such file or directory\n")
GIT_NO_COMMIT = (128, 'HEAD\n', "fatal: ambiguous argument 'HEAD': unknown revision or path not in the working tree.\n"
                 "Use '--' to separate paths from revisions, like this:\n'git <command> [<revision>...] -- [<file>...]'\n")
GIT_DUBIOUS = (128, '', "fatal: detected dubious ownership in repository at '/opt/stack'\nTo add an exception for this directory, call:\n\n"
               "\tgit config --global --add safe.directory /opt/stack\n")


def runner(answer):
    """A ``run(argv)`` that records its calls in ``run.calls`` and answers ``answer`` (or raises it)."""
    calls = []

    def run(argv):
        calls.append(argv)
        if isinstance(answer, Exception):
            raise answer
        return answer
    run.calls = calls
    return run
