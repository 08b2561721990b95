# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""files.atomic_write, the one atomic writer: real files in a temp dir."""
from __future__ import annotations

import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.files import atomic_write


def _mode(path):
    return os.stat(str(path)).st_mode & 0o7777


def test_new_file_gets_the_default_mode_and_no_leftovers(tmp_path):
    target = tmp_path / 'x.sha256'
    atomic_write(str(target), b'abc')
    assert target.read_bytes() == b'abc' and _mode(target) == 0o600
    assert os.listdir(str(tmp_path)) == ['x.sha256']


def test_existing_file_keeps_its_mode_unless_one_is_given(tmp_path):
    target = tmp_path / 'OPS_JOURNAL.md'
    target.write_bytes(b'old')
    os.chmod(str(target), 0o640)
    atomic_write(str(target), b'new')
    assert target.read_bytes() == b'new' and _mode(target) == 0o640
    atomic_write(str(target), b'newer', mode=0o600)
    assert target.read_bytes() == b'newer' and _mode(target) == 0o600


def test_replaces_in_one_step_a_reader_never_sees_a_partial_file(tmp_path):
    target = tmp_path / '.env'
    target.write_bytes(b'A=1\n')
    inode = os.stat(str(target)).st_ino
    atomic_write(str(target), b'A=2\n', keep_owner=True)
    assert target.read_bytes() == b'A=2\n' and os.stat(str(target)).st_ino != inode, 'a new file renamed into place'


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / '.env'
    target.write_bytes(b'A=1\n')
    with pytest.raises(TypeError):
        atomic_write(str(target), 'not bytes')
    assert target.read_bytes() == b'A=1\n' and os.listdir(str(tmp_path)) == ['.env']
