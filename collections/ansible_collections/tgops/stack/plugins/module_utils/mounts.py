# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions on container mounts: normalization and longest-prefix resolution of a path."""

from __future__ import annotations

import posixpath


def normalize_container_mounts(mounts):
    """``Mounts`` of ``docker inspect`` -> list of {type, name, source, destination, rw}, sorted by destination."""
    result = []
    for mount in mounts or []:
        result.append({
            'type': mount.get('Type'),
            'name': mount.get('Name') or None,
            'source': mount.get('Source'),
            'destination': mount.get('Destination'),
            'rw': bool(mount.get('RW', True)),
        })
    return sorted(result, key=lambda m: m['destination'] or '')


def _norm(path):
    path = posixpath.normpath(path)
    # normpath keeps a leading '//' (POSIX); collapse it.
    return '/' + path.lstrip('/') if path.startswith('/') else path


def path_is_under(path, target):
    """True when ``path`` is ``target`` or below it, comparing whole path components."""
    path, target = _norm(path), _norm(target)
    if target == '/':
        return path.startswith('/')
    return path == target or path.startswith(target + '/')


def covering_mount(path, mounts, key='target'):
    """The mount whose ``key`` (container path) is the longest prefix of ``path``, or None."""
    best = None
    for mount in mounts:
        target = mount.get(key)
        if not target or not path_is_under(path, target):
            continue
        if best is None or len(_norm(target)) > len(_norm(best[key])):
            best = mount
    return best


def host_path(path, target, host_source):
    """Host path of container ``path`` inside a mount of ``target`` whose host side is ``host_source``."""
    rel = posixpath.relpath(_norm(path), _norm(target))
    if rel == '.':
        return _norm(host_source)
    return posixpath.join(_norm(host_source), rel)


def describe_mounts(mounts, key='target'):
    """Short human list, e.g. ``/data (volume db_data), /app/canon (bind /srv/canon, ro)``."""
    if not mounts:
        return 'none'
    parts = []
    for mount in sorted(mounts, key=lambda m: m.get(key) or ''):
        label = mount.get('volume_key') or mount.get('volume_name') or mount.get('source') or '?'
        kind = mount.get('type') or '?'
        suffix = ', ro' if mount.get('read_only') else ''
        parts.append('%s (%s %s%s)' % (mount.get(key), kind, label, suffix))
    return ', '.join(parts)
