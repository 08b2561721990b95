# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.runbook import diagnose, parse_quiet_hours, quiet_hours_status

UTC = datetime.timezone.utc


def test_parse_quiet_hours():
    assert parse_quiet_hours('23:00-07:00') == (1380, 420)
    assert parse_quiet_hours('') is None
    with pytest.raises(ValueError, match='not HH:MM-HH:MM'):
        parse_quiet_hours('late night')
    with pytest.raises(ValueError, match='out of range'):
        parse_quiet_hours('25:00-07:00')


def test_quiet_hours_wrapping_midnight_in_the_stack_timezone():
    # 21:30 UTC is 23:30 in Kyiv (UTC+2 in November): inside 23:00-07:00
    status = quiet_hours_status('23:00-07:00', 'Europe/Kyiv', datetime.datetime(2026, 11, 24, 21, 30, tzinfo=UTC))
    assert status['active'] and status['ends_at'] == '07:00' and status['local_time'] == '23:30'
    status = quiet_hours_status('23:00-07:00', 'Europe/Kyiv', datetime.datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    assert not status['active'] and status['ends_at'] is None


def test_quiet_hours_unknown_zone_and_bad_value():
    status = quiet_hours_status('00:00-23:59', 'Mars/Olympus', datetime.datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    assert status['tz'] == 'UTC' and status['active']
    assert quiet_hours_status('nope', 'UTC')['error'].startswith("QUIET_HOURS='nope'")
    assert quiet_hours_status('', 'UTC')['active'] is False


def test_diagnose_healthy_and_ordering():
    healthy = {'health_ok': True, 'bot_running': True, 'bot_restarts': 0, 'bot_conflicts': 0, 'getme_ok': True,
               'db_guard_ok': True, 'missing_tables': [], 'queue_pending': 0, 'latest_backup_ok': True,
               'disk_free_pct': 60, 'mem_available_mb': 900}
    assert diagnose(healthy) == {'healthy': True, 'runbook': None, 'findings': [], 'notes': []}
    both = dict(healthy, db_guard_ok=False, bot_running=False)
    result = diagnose(both)
    assert result['runbook'] == 'no-such-table' and [f['runbook'] for f in result['findings']] == ['no-such-table', 'bot-not-responding']


@pytest.mark.parametrize('change, runbook', [
    ({'bot_restarts': 5}, 'bot-not-responding'),
    ({'bot_conflicts': 3}, 'bot-not-responding'),
    ({'queue_pending': 12, 'quiet_active': True}, 'notifications-stuck'),
    ({'queue_pending': 12, 'quiet_active': False, 'worker_consuming': False}, 'notifications-stuck'),
    ({'latest_backup_ok': False}, 'lost-backup'),
])
def test_diagnose_names_the_runbook(change, runbook):
    base = {'health_ok': True, 'bot_running': True, 'getme_ok': True, 'db_guard_ok': True}
    assert diagnose(dict(base, **change))['runbook'] == runbook


def test_diagnose_notes_disk_and_memory():
    result = diagnose({'disk_free_pct': 4, 'mem_available_mb': 50})
    assert result['healthy'] is False and result['runbook'] is None and len(result['notes']) == 2


def test_path_in_volume_and_candidates():
    from ansible_collections.tgops.stack.plugins.module_utils.runbook import copy_candidates, path_in_volume
    assert path_in_volume('/data/organizer.db', '/data/') == 'organizer.db'
    assert path_in_volume('/data/sub/x.db', '/data') == 'sub/x.db'
    assert path_in_volume('/datax/x.db', '/data') is None
    assert copy_candidates('deploy_db_data', ['deploy_runtime_data', 'deploy_db_data'], 'organizer.db') == [
        ('deploy_db_data', 'organizer.db', 'runtime'), ('deploy_runtime_data', 'organizer.db', 'related')]
