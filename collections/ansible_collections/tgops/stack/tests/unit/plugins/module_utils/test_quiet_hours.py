# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.quiet_hours import parse_quiet_hours, quiet_hours_status

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
