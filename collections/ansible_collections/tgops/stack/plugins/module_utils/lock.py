# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-stack lock: one file that every run changing a stack takes, and nobody else can take at the same time.

- It appears with its content in one step: the holder's JSON is written to a private temp file which is then
  hard-linked to the lock path (``link`` fails when the path exists), so nobody ever reads a half-written lock.
- A lock is identified by its ``token`` (one per run); re-taking with the same token is a no-op (nested roles of
  one run), releasing removes only a lock with our token, atomically (rename away, check, unlink).
- Stale means the holder is gone: the run's process on the same machine (same host name and boot id, pid no
  longer an Ansible process), a reboot of that machine since, or an age past ``stale_after``. An empty or
  unreadable lock younger than ``stale_after`` (by its mtime) counts as held. A stale lock is only broken on
  purpose (``break_stale``); breaking re-checks that it is still the lock judged stale.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import socket
import time

from ansible_collections.tgops.stack.plugins.module_utils.errors import utc_now

TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


class LockHeld(Exception):
    """The lock is held by someone else; ``info`` says who and since when, ``stale`` why it may be gone."""

    def __init__(self, msg, info, stale=''):
        super().__init__(msg)
        self.info = info
        self.stale = stale


def parse_time(text):
    try:
        return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def boot_id():
    try:
        with open('/proc/sys/kernel/random/boot_id') as handle:
            return handle.read().strip()
    except OSError:
        return ''


def this_machine():
    return {'host': socket.gethostname(), 'boot_id': boot_id()}


def pid_is_ansible(pid):
    """Whether ``pid`` runs an Ansible process on this machine (a reused pid of another program does not count)."""
    try:
        pid = int(pid)
        os.kill(pid, 0)
    except (TypeError, ValueError):
        return False
    except OSError as exc:
        if exc.errno != errno.EPERM:
            return False
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return b'ansible' in handle.read()
    except OSError:
        return True  # alive, cmdline unreadable: assume it is the holder


def read_lock(path):
    """(info, mtime) of a lock file; (None, None) when there is none. Empty or unreadable content gives
    ``{'holder': 'unknown (...)'}``."""
    try:
        with open(path, 'rb') as handle:
            text = handle.read().decode('utf-8', 'replace')
            mtime = os.fstat(handle.fileno()).st_mtime
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        return {'holder': 'unknown (lock file not readable: %s)' % exc.strerror, 'since': None}, time.time()
    try:
        info = json.loads(text)
        if not isinstance(info, dict):
            raise ValueError('not an object')
    except ValueError:
        info = {'holder': 'unknown (%s lock file)' % ('empty' if not text.strip() else 'unreadable'), 'since': None}
    return info, mtime


def age_seconds(info, mtime, now):
    since = parse_time(info.get('since'))
    if since is None and mtime is not None:
        since = datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc)
    return None if since is None else int((now - since).total_seconds())


def stale_reason(info, mtime, now, stale_after, machine=None):
    """Why the lock's holder is gone ('' while it may still run)."""
    machine = machine or this_machine()
    age = age_seconds(info, mtime, now)
    if age is not None and age > stale_after:
        return 'older than stale_after=%ss' % stale_after
    if age is None:
        return 'no time in it'
    if info.get('host') and info.get('host') == machine['host']:
        if info.get('boot_id') and machine['boot_id'] and info['boot_id'] != machine['boot_id']:
            return 'taken before the last reboot of %s' % machine['host']
        if info.get('pid') and info.get('boot_id') == machine['boot_id'] and not pid_is_ansible(info['pid']):
            return 'its run (pid %s on %s) is gone' % (info['pid'], machine['host'])
    return ''


def held_message(path, info, mtime, now, stale):
    age = age_seconds(info, mtime, now)
    where = ' (pid %s on %s)' % (info.get('pid'), info.get('host')) if info.get('pid') and info.get('host') else ''
    text = 'stack lock %s is held by %s%s since %s (%s ago)' % (
        path, info.get('holder', '?'), where, info.get('since') or '?', '%ss' % age if age is not None else 'unknown')
    if stale:
        return text + '; it looks STALE: %s. If that run is really gone, break the lock on purpose with break_stale=true ' \
                      '(-e stack_lock_break_stale=true); the break is journaled.' % stale
    return text + '. Wait for that run to finish; nothing was changed.'


def _link_new(path, info):
    """Create ``path`` holding ``info`` in one step; raise OSError(EEXIST) when it exists."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, '.%s.%s.%d.tmp' % (os.path.basename(path), info['token'], os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, 'w') as handle:
            json.dump(info, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _take_away(path, token):
    """Atomically move the lock at ``path`` aside; return (moved_path, info) or (None, None) when it is gone."""
    aside = '%s.%s.%d.away' % (path, token, os.getpid())
    try:
        os.rename(path, aside)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        raise
    info, _mtime = read_lock(aside)
    return aside, info


def _put_back(aside, path):
    """Return a lock moved aside by mistake, unless someone took the path meanwhile (then theirs stays)."""
    try:
        os.link(aside, path)
    except OSError:
        pass
    os.unlink(aside)


def acquire(path, holder, token, now, stale_after, break_stale=False, owner=None, wait=0, sleep=time.sleep, clock=time.monotonic):
    """Take the lock; return (info, status, broken) with status 'taken' or 'held-by-us'.

    ``owner`` (host, boot_id, pid of the run) goes into the lock so that another run on the same machine can tell
    when it is gone. ``wait`` seconds: retry while someone else holds it (a scheduled backup), then raise LockHeld.
    """
    info = {'holder': holder, 'token': token, 'since': now.strftime(TIME_FORMAT)}
    info.update(owner or {})
    deadline = clock() + max(0, wait)
    while True:
        current, mtime = read_lock(path)
        if current is not None and current.get('token') == token:
            return current, 'held-by-us', None
        if current is None:
            try:
                _link_new(path, info)
                return info, 'taken', None
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
                continue
        stale = stale_reason(current, mtime, utc_now() if now is None else now, stale_after)
        if stale and break_stale:
            aside, moved = _take_away(path, token)
            if aside is None:
                continue
            if moved != current:
                _put_back(aside, path)
                continue
            os.unlink(aside)
            try:
                _link_new(path, info)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
                continue
            return info, 'taken', dict(current, stale=stale)
        # Waiting helps only while the holder may still finish; a stale lock never goes away by itself.
        if stale or clock() >= deadline:
            msg = held_message(path, current, mtime, now, stale)
            if wait > 0 and not stale:
                msg = 'waited %ss: %s' % (wait, msg)
            raise LockHeld(msg, current, stale)
        sleep(min(2.0, max(0.1, deadline - clock())))
        now = utc_now()


def release(path, token):
    """Remove the lock when it holds ``token``; return True when removed, False when there was none.

    Raises LockHeld when the lock is someone else's (it is left in place).
    """
    current, _mtime = read_lock(path)
    if current is None:
        return False
    if current.get('token') != token:
        raise LockHeld('stack lock %s is held by %s, not by this run; not releasing it' % (path, current.get('holder')), current)
    aside, moved = _take_away(path, token)
    if aside is None:
        return False
    if (moved or {}).get('token') != token:
        _put_back(aside, path)
        raise LockHeld('stack lock %s changed hands while releasing it; left in place' % path, moved)
    os.unlink(aside)
    return True
