# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The on-call diagnosis: which runbook the evidence points to (the runbook_diagnosis filter)."""

from __future__ import annotations

RUNBOOKS = ('bot-not-responding', 'notifications-stuck', 'no-such-table', 'lost-backup')


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
