# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""db_copies_info logic: where a SQLite DB sits inside a volume, and which volumes to look at for copies of it."""

from __future__ import annotations


def path_in_volume(db_path, destination):
    """DB_PATH relative to the mount destination that holds it ('/data/organizer.db', '/data' -> 'organizer.db'), or None."""
    destination = destination.rstrip('/') or '/'
    if destination == '/':
        return db_path.lstrip('/')
    if db_path == destination or not db_path.startswith(destination + '/'):
        return None
    return db_path[len(destination) + 1:]


def copy_candidates(runtime_volume, related, relative_path):
    """(volume name, relative path, role) for the runtime volume and every related volume, runtime first."""
    seen, out = set(), []
    for name, role in [(runtime_volume, 'runtime')] + [(v, 'related') for v in related]:
        if name and name not in seen:
            seen.add(name)
            out.append((name, relative_path, role))
    return out
