# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""QUIET_HOURS windows: parse them and tell whether now is inside (the quiet_hours filter and the runbooks)."""

from __future__ import annotations

import datetime
import re

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
