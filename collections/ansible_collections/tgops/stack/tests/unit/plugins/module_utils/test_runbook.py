# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.runbook import diagnose


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
