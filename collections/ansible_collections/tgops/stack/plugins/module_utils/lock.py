# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host-wide lock file: created with O_EXCL so two holders can never both win."""

from __future__ import annotations

import datetime
import errno
import json
import os


class LockHeld(Exception):
    """The lock is held by someone else; ``info`` says who and since when."""

    def __init__(self, msg, info):
        super().__init__(msg)
        self.info = info


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def parse_time(text):
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def read_lock(path):
    """The holder info of a lock file, or None when there is no lock."""
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    try:
        info = json.loads(text)
        if not isinstance(info, dict):
            raise ValueError('not an object')
    except ValueError:
        info = {'holder': 'unknown (unreadable lock file)', 'since': None}
    return info


def age_seconds(info, now):
    since = parse_time(info.get('since'))
    return None if since is None else int((now - since).total_seconds())


def is_stale(info, now, stale_after):
    """A lock older than ``stale_after`` seconds (or with no readable time) is stale."""
    age = age_seconds(info, now)
    return age is None or age > stale_after


def held_message(path, info, now, stale_after):
    age = age_seconds(info, now)
    stale = is_stale(info, now, stale_after)
    return ('deploy lock %s is held by %s since %s (%s ago)%s. %s' % (
        path, info.get('holder', '?'), info.get('since') or '?', '%ss' % age if age is not None else 'unknown',
        ', which is older than stale_after=%ss: it looks STALE' % stale_after if stale else '',
        'If that run is really gone, break the lock on purpose with break_stale=true (deploy_lock_break=true).' if stale
        else 'Wait for that run to finish; nothing was changed.'))


def acquire(path, holder, now, stale_after, break_stale=False, extra=None):
    """Take the lock; return (info, broken_info). Raise LockHeld when someone else holds it."""
    info = {'holder': holder, 'since': now.strftime('%Y-%m-%dT%H:%M:%SZ'), 'pid': os.getpid()}
    info.update(extra or {})
    broken = None
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
            current = read_lock(path)
            if current is None:
                continue
            if break_stale and is_stale(current, now, stale_after):
                os.unlink(path)
                broken = current
                continue
            raise LockHeld(held_message(path, current, now, stale_after), current) from None
        with os.fdopen(fd, 'w') as handle:
            json.dump(info, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        return info, broken
    raise LockHeld('deploy lock %s could not be taken (it reappeared while breaking it); retry' % path, read_lock(path) or {})


def release(path, holder):
    """Remove the lock when ``holder`` holds it; return True when removed."""
    current = read_lock(path)
    if current is None:
        return False
    if current.get('holder') != holder:
        raise LockHeld('deploy lock %s is held by %s, not by %s; not releasing it' % (path, current.get('holder'), holder), current)
    os.unlink(path)
    return True
