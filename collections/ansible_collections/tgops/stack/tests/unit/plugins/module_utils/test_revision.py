# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.revision import git_revision, source_revision
from ansible_collections.tgops.stack.tests.unit.plugins.module_utils.helpers import (
    GIT_DUBIOUS,
    GIT_MISSING_DIR,
    GIT_NO_COMMIT,
    GIT_NOT_A_REPO,
    GIT_OK,
    SHA,
    runner,
)


@pytest.mark.parametrize('answer,sha,error', [
    (GIT_OK, SHA, None),
    (GIT_NOT_A_REPO, None, 'fatal: not a git repository (or any of the parent directories): .git'),
    (GIT_MISSING_DIR, None, "fatal: cannot change to '/nonexistent': No such file or directory"),
    (GIT_NO_COMMIT, None, "fatal: ambiguous argument 'HEAD': unknown revision or path not in the working tree."),
    (GIT_DUBIOUS, None, "fatal: detected dubious ownership in repository at '/opt/stack'"),
    ((1, '', ''), None, 'git rev-parse exited with rc 1'),
    (FileNotFoundError(2, 'No such file or directory'), None, 'git: No such file or directory'),
])
def test_git_revision_reports_git_own_line(answer, sha, error):
    run = runner(answer)
    assert git_revision(run, '/opt/stack') == (sha, error)
    assert run.calls == [['git', '-C', '/opt/stack', 'rev-parse', 'HEAD']]


def test_source_revision_hashes_each_compose_file_and_keeps_git_own_line(tmp_path):
    (tmp_path / 'docker-compose.yml').write_text('services: {}\n')
    out = source_revision(str(tmp_path), ['docker-compose.yml', 'missing.yml'], lambda argv: GIT_NOT_A_REPO)
    assert out == {'git_sha': None, 'git_error': 'fatal: not a git repository (or any of the parent directories): .git',
                   'files_sha256': {'docker-compose.yml': hashlib.sha256(b'services: {}\n').hexdigest(), 'missing.yml': None}}
    assert source_revision(str(tmp_path), [], lambda argv: GIT_OK)['git_sha'] == SHA
