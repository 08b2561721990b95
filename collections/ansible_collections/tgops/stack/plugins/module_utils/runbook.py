# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic of the on-call runbooks: QUIET_HOURS windows and the diagnosis from the evidence."""

from __future__ import annotations

import datetime
import re

RUNBOOKS = ('bot-not-responding', 'notifications-stuck', 'no-such-table', 'lost-backup')
WINDOW_RE = re.compile(r'^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$')


def parse_quiet_hours(spec):
    """'23:00-07:00' -> (1380, 420) minutes after midnight; None when empty; ValueError when malformed."""
    if not (spec or '').strip():
        return None
    match = WINDOW_RE.match(spec)
    if not match:
        raise ValueError('QUIET_HOURS=%r is not HH:MM-HH:MM' % spec)
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError('QUIET_HOURS=%r has an hour or minute out of range' % spec)
    return h1 * 60 + m1, h2 * 60 + m2


def local_now(now_utc, tz_name):
    """now_utc (aware) in tz_name; (moment, tz label used). Falls back to UTC for an unknown zone."""
    try:
        from zoneinfo import ZoneInfo
        return now_utc.astimezone(ZoneInfo(tz_name)), tz_name
    except Exception:  # pylint: disable=broad-except  # unknown or empty zone name, or no tz database
        return now_utc, 'UTC'


def quiet_hours_status(spec, tz_name, now_utc=None):
    """Whether QUIET_HOURS covers now in the stack's timezone, and when the window ends (local HH:MM)."""
    now_utc = now_utc or datetime.datetime.now(datetime.timezone.utc)
    moment, tz_used = local_now(now_utc, tz_name or 'UTC')
    status = {'spec': spec or '', 'tz': tz_used, 'local_time': moment.strftime('%H:%M'), 'active': False, 'ends_at': None,
              'error': None}
    try:
        window = parse_quiet_hours(spec)
    except ValueError as exc:
        status['error'] = str(exc)
        return status
    if window is None or window[0] == window[1]:
        return status
    start, end = window
    minute = moment.hour * 60 + moment.minute
    active = start <= minute < end if start < end else (minute >= start or minute < end)
    status.update(active=active, ends_at='%02d:%02d' % divmod(end, 60) if active else None)
    return status


def diagnose(evidence):
    """The most likely runbook for the evidence, with the reasons, in order of urgency.

    evidence keys (missing ones count as unknown): health_ok, bot_running, bot_restarts, bot_conflicts, getme_ok,
    db_guard_ok, missing_tables, quiet_active, queue_pending, queue_oldest_age_s, worker_consuming, latest_backup_ok,
    disk_free_pct, mem_available_mb.
    """
    e = evidence or {}
    findings = []

    def add(runbook, reason):
        findings.append({'runbook': runbook, 'reason': reason})

    if e.get('db_guard_ok') is False:
        add('no-such-table', 'the DB location guard fails: the runtime and the migrations use different databases')
    if e.get('missing_tables'):
        add('no-such-table', 'required tables missing in the runtime DB: %s' % ', '.join(e['missing_tables']))
    if e.get('bot_running') is False:
        add('bot-not-responding', 'the bot container is not running')
    elif (e.get('bot_restarts') or 0) >= 3:
        add('bot-not-responding', 'the bot container restarted %s times (crash loop)' % e['bot_restarts'])
    if e.get('bot_conflicts'):
        add('bot-not-responding', 'getUpdates conflicts (HTTP 409) in the bot log: a second poller uses the token')
    if e.get('getme_ok') is False:
        add('bot-not-responding', 'getMe fails with the bot token')
    if e.get('health_ok') is False:
        add('bot-not-responding', 'the health URL does not answer 200')
    pending = e.get('queue_pending') or 0
    if pending and e.get('quiet_active') is False and e.get('worker_consuming') is False:
        add('notifications-stuck', '%s notifications pending outside quiet hours and the worker is not consuming' % pending)
    elif pending and e.get('quiet_active'):
        add('notifications-stuck', '%s notifications held because QUIET_HOURS covers now (expected until the window ends)' % pending)
    if e.get('latest_backup_ok') is False:
        add('lost-backup', 'no verified latest backup in the store')
    notes = []
    if e.get('disk_free_pct') is not None and e['disk_free_pct'] < 10:
        notes.append('disk almost full: %s%% free' % e['disk_free_pct'])
    if e.get('mem_available_mb') is not None and e['mem_available_mb'] < 100:
        notes.append('memory low: %s MiB available' % e['mem_available_mb'])
    return {
        'healthy': not findings and not notes,
        'runbook': findings[0]['runbook'] if findings else None,
        'findings': findings,
        'notes': notes,
    }


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
