# -*- coding: utf-8 -*-
# Copyright (c) 2026 tgops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The housekeeping of one backup run. Before the DB copy (``prepare``): the backup directory, the stale staging
directories of killed runs, a private staging directory for this run, and the git revision of the stack directory.
After the archive (called by backup_archive.archive_and_finish): the local ``latest`` link (``point_latest``) and the
removal of the staging directory (``remove``).

Each step is recorded in ``steps`` (what was done, in order); a step that fails raises StackError naming the step, the
path and the system's own error line, with the steps done so far.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time

from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.files import fsync_dir
from ansible_collections.tgops.stack.plugins.module_utils.revision import git_revision

STAGING_PREFIX = '.staging-'
_AGE = re.compile(r'^\s*(\d+)\s*([smhdw]?)\s*$')
_UNIT = {'': 1, 's': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


def parse_age(text):
    """Seconds of an age written as M(ansible.builtin.find) takes it (V(12h), V(30m), V(2d), V(3600))."""
    match = _AGE.match(str(text))
    if not match:
        raise StackError("stale_age=%r is not an age; write a number with an optional unit s, m, h, d or w (for example 12h)" % (text,))
    return int(match.group(1)) * _UNIT[match.group(2)]


def stale_staging(entries, now, age_s):
    """Names of the staging directories older than ``age_s``: ``entries`` are (name, is_dir, mtime) of the backup dir."""
    return sorted(name for name, is_dir, mtime in entries
                  if is_dir and name.startswith(STAGING_PREFIX) and now - mtime > age_s)


def _entries(directory):
    out = []
    with os.scandir(directory) as it:
        for entry in it:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            out.append((entry.name, stat.S_ISDIR(st.st_mode), st.st_mtime))
    return out


def _step(steps, name, path, func):
    try:
        return func()
    except OSError as exc:
        raise StackError("%s failed for %s: %s" % (name, path, exc.strerror or exc), step=name, failed_path=path, steps=steps) from exc


def prepare(directory, stale_age='12h', subdirs=('db',), source_dir=None, run=None, check_mode=False, now=None):
    """Do the steps; return the result dict (path of the new staging dir, removed stale dirs, git sha/error, steps)."""
    age_s = parse_age(stale_age)
    steps, changed = [], False
    result = {'dir': directory, 'path': None, 'removed_stale': [], 'git_sha': None, 'git_error': None, 'steps': steps}
    if source_dir and run is not None:
        result['git_sha'], result['git_error'] = git_revision(run, source_dir)
        steps.append('read the git revision of %s: %s' % (source_dir, result['git_sha'] or 'none (%s)' % result['git_error']))

    if not os.path.isdir(directory):
        if os.path.lexists(directory):
            raise StackError("%s exists and is not a directory; backup_local_dir must name a directory (move that file away)"
                             % directory, step='create the backup directory', failed_path=directory, steps=steps)
        if not check_mode:
            _step(steps, 'create the backup directory', directory, lambda: os.makedirs(directory, 0o700))
        steps.append('created %s (mode 0700)' % directory)
        changed = True
    if os.path.isdir(directory) and stat.S_IMODE(os.stat(directory).st_mode) != 0o700:
        if not check_mode:
            _step(steps, 'set the mode of the backup directory', directory, lambda: os.chmod(directory, 0o700))
        steps.append('set %s to mode 0700' % directory)
        changed = True

    if os.path.isdir(directory):
        entries = _step(steps, 'list the backup directory', directory, lambda: _entries(directory))
        for name in stale_staging(entries, time.time() if now is None else now, age_s):
            path = os.path.join(directory, name)
            if not check_mode:
                _step(steps, 'remove a stale staging directory', path, lambda p=path: shutil.rmtree(p))
            result['removed_stale'].append(path)
            steps.append('removed the stale staging directory %s (a killed run left it)' % path)
            changed = True

    if not check_mode:
        path = _step(steps, 'create the staging directory', directory, lambda: tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=directory))
        for sub in subdirs:
            _step(steps, 'create the staging directory', path, lambda s=sub: os.mkdir(os.path.join(path, s), 0o700))
        result['path'] = path
        steps.append('created the private staging directory %s' % path)
    else:
        steps.append('would create a private staging directory under %s' % directory)
    changed = True  # a run always gets a staging directory of its own
    result['changed'] = changed
    return result


def remove(directory, path, check_mode=False):
    """Remove this run's staging directory; refuse a path that is not a staging directory of ``directory``."""
    parent, name = os.path.split(os.path.normpath(path))
    if os.path.normpath(parent) != os.path.normpath(directory) or not name.startswith(STAGING_PREFIX):
        raise StackError("path=%s is not a staging directory of %s (%s*); pass the path this module returned" % (path, directory, STAGING_PREFIX),
                         failed_path=path)
    if not os.path.lexists(path):
        return {'dir': directory, 'path': path, 'changed': False, 'steps': ['%s is already gone' % path]}
    if not check_mode:
        _step([], 'remove the staging directory', path, lambda: shutil.rmtree(path))
    return {'dir': directory, 'path': path, 'changed': True, 'steps': ['removed the staging directory %s' % path]}


def point_latest(directory, target, link_name, check_mode=False):
    """Point ``<directory>/<link_name>`` at ``target`` (a file name in ``directory``): a relative symlink, swapped in
    atomically (a new link under a temp name, then a rename over the old one), so a reader sees the old or the new
    archive, never none. Return True when the link changed. A directory in the link's place is refused."""
    if os.sep in target or os.sep in link_name:
        raise StackError("point_latest: %r and %r must be file names in %s" % (target, link_name, directory))
    link = os.path.join(directory, link_name)
    if os.path.islink(link) and os.readlink(link) == target:
        return False
    if os.path.isdir(link) and not os.path.islink(link):
        raise StackError("%s is a directory, not a latest link; move it away" % link,
                         step='point the latest link', failed_path=link)
    if check_mode:
        return True
    tmp = os.path.join(directory, '.%s.%d.tmp' % (link_name, os.getpid()))

    def swap():
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(target, tmp)
        try:
            os.replace(tmp, link)
        except OSError:
            os.unlink(tmp)
            raise
        fsync_dir(directory)

    _step([], 'point the latest link', link, swap)
    return True
