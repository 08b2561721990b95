# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.observation import observation


def rec(date, ok, kind='daily'):
    return {'kind': kind, 'entry_id': 'day-' + date, 'results': {'date': date, 'ok': ok}}


def test_first_day():
    assert observation([], '2026-11-22T06:00:00Z', True) == {
        'start': '2026-11-22', 'day': 1, 'streak': 1, 'green_days': 1, 'red_days': []}


def test_streak_breaks_on_red_and_on_gap():
    records = [rec('2026-11-01', True), rec('2026-11-02', False), rec('2026-11-03', True), rec('2026-11-04', True)]
    w = observation(records, '2026-11-05', True)
    assert w['day'] == 5 and w['streak'] == 3 and w['red_days'] == ['2026-11-02']
    # a missing day breaks the streak
    w = observation([rec('2026-11-01', True), rec('2026-11-03', True)], '2026-11-04', True)
    assert w['streak'] == 2


def test_last_record_of_a_day_wins_and_other_kinds_ignored():
    records = [rec('2026-11-01', False), rec('2026-11-01', True), rec('2026-11-02', True, kind='backup')]
    w = observation(records, '2026-11-02', True)
    assert w['streak'] == 2 and w['red_days'] == []


def test_forced_start_and_bad_dates():
    assert observation([], '2026-11-22', False, start='2026-11-20')['day'] == 3
    with pytest.raises(ValueError, match='after today'):
        observation([], '2026-11-22', True, start='2026-12-01')
    with pytest.raises(ValueError, match='YYYY-MM-DD'):
        observation([], 'yesterday', True)
