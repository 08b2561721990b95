# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The source revision of a stack directory: its git HEAD (or git's own line saying why there is none) and the sha256
of each Compose file. Read by a backup's housekeeping (``backup_staging.prepare``, for the manifest) and by the
pre-flight's ``revision`` part (the rollback point of a deploy, the baseline snapshot)."""

from __future__ import annotations

import os

from ansible_collections.tgops.stack.plugins.module_utils.backup_manifest import sha256_file


def git_revision(run, source_dir):
    """(sha, error) of ``source_dir``'s checkout; ``run`` runs an argv and returns (rc, stdout, stderr).

    A failure is never raised: the error is git's own line (the ``fatal:`` or ``error:`` one when there is one).
    """
    try:
        rc, out, err = run(['git', '-C', source_dir, 'rev-parse', 'HEAD'])
    except OSError as exc:
        return None, 'git: %s' % (exc.strerror or exc)
    if rc == 0 and out.strip():
        return out.strip(), None
    lines = [ln.strip() for ln in ((err or '') + '\n' + (out or '')).splitlines() if ln.strip()]
    cause = next((ln for ln in lines if ln.startswith(('fatal:', 'error:'))), lines[0] if lines else None)
    return None, cause or 'git rev-parse exited with rc %s' % rc


def source_revision(project_src, files, run):
    """{git_sha, git_error, files_sha256} of a stack directory: git's own error line when it is not a usable checkout,
    and ``None`` for a Compose file that cannot be read."""
    sha, error = git_revision(run, project_src)
    hashes = {}
    for name in files or []:
        try:
            hashes[name] = sha256_file(os.path.join(project_src, name))[0]
        except OSError:
            hashes[name] = None
    return {'git_sha': sha, 'git_error': error, 'files_sha256': hashes}
