# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The observation window of the daily check, computed from journal records.

Pure functions over the JSON-lines records the journal keeps: one record per
change of a daily entry, with ``results.date`` (YYYY-MM-DD) and
``results.ok``. The last record of a day wins (re-running a check replaces
that day's entry).
"""

from __future__ import annotations

import datetime


def parse_day(value, what='date'):
    """Parse YYYY-MM-DD (or the date part of an ISO-8601 timestamp)."""
    text = str(value or '')[:10]
    try:
        return datetime.datetime.strptime(text, '%Y-%m-%d').date()
    except ValueError:
        raise ValueError('%s %r is not a date of the form YYYY-MM-DD' % (what, value)) from None


def daily_verdicts(records):
    """Map each day (date) to its last recorded verdict (bool)."""
    verdicts = {}
    for rec in records or []:
        if rec.get('kind') != 'daily':
            continue
        results = rec.get('results') or {}
        if 'date' not in results:
            continue
        verdicts[parse_day(results['date'], 'record date')] = bool(results.get('ok'))
    return verdicts


def observation(records, today, today_ok, start=None):
    """Day number, start date and the streak of consecutive green days.

    ``today_ok`` is today's verdict (it may not be recorded yet). ``start``
    forces the observation start date; otherwise it is the first recorded
    daily check, or today when there is none.
    """
    today = parse_day(today, 'today')
    verdicts = daily_verdicts(records)
    verdicts[today] = bool(today_ok)
    first = parse_day(start, 'observation start') if start else min(verdicts)
    if first > today:
        raise ValueError('observation start %s is after today %s; fix daily_check_observation_start' % (first, today))
    streak = 0
    day = today
    while verdicts.get(day) is True and day >= first:
        streak += 1
        day -= datetime.timedelta(days=1)
    return {
        'start': first.isoformat(),
        'day': (today - first).days + 1,
        'streak': streak,
        'green_days': sum(1 for d, ok in verdicts.items() if ok and first <= d <= today),
        'red_days': sorted(d.isoformat() for d, ok in verdicts.items() if not ok and first <= d <= today),
    }
