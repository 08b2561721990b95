# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small file helpers shared by the atomic writers (journal, backups)."""

from __future__ import annotations

import os
import tempfile


def fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_selinux_context(src, dest):
    """Give ``dest`` the SELinux context of ``src`` where SELinux is on (as AnsibleModule.atomic_move does)."""
    try:
        from ansible.module_utils.compat import selinux  # pylint: disable=import-outside-toplevel
    except ImportError:  # no libselinux on this host: nothing to keep
        return
    try:
        if selinux.is_selinux_enabled() != 1:
            return
        rc, context = selinux.lgetfilecon_raw(src)
        if rc >= 0 and context:
            selinux.lsetfilecon(dest, context)
    except (OSError, AttributeError):
        return


def atomic_write(path, data, mode=None, default_mode=0o600, keep_owner=False):
    """Write ``data`` (bytes) to ``path`` in one step: the one atomic writer of the collection.

    A private temp file in the same directory (created 0600, so a secret is never readable by others, not even
    briefly), fsync, the final mode, rename, fsync of the directory. ``mode`` sets the file's mode; without it an
    existing file keeps its mode and a new one gets ``default_mode``. ``keep_owner`` gives the new file the owner of
    the one it replaces (when allowed). An existing file's SELinux context is kept.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        current = os.stat(path)
    except OSError:
        current = None
    if mode is None:
        mode = (current.st_mode & 0o7777) if current is not None else default_mode
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path), suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if current is not None:
            if keep_owner:
                try:
                    os.chown(tmp, current.st_uid, current.st_gid)
                except OSError:
                    pass
            _copy_selinux_context(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)
