# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime
import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.backup_retention import (
    apply_retention,
    local_archives,
    parse_archive_name,
    prune_directory,
    select_prunable,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError

NOW = datetime.datetime(2026, 11, 22, 12, 0, 0, tzinfo=datetime.timezone.utc)


def name_at(moment, stack='todo', ext='.tar.zst'):
    return '%s-%s%s' % (stack, moment.strftime('%Y%m%dT%H%M%SZ'), ext)


def hourly(days, per_day=4):
    """Archives every 6 hours for ``days`` days before NOW, newest first."""
    result = []
    for hours in range(0, days * 24, 24 // per_day):
        result.append({'name': name_at(NOW - datetime.timedelta(hours=hours + 1))})
    return result


def test_parse_archive_name():
    parsed = parse_archive_name('sprint-bot-20261122T060000Z.tar.gz')
    assert parsed['stack'] == 'sprint-bot' and parsed['created_iso'] == '2026-11-22T06:00:00Z' and parsed['ext'] == '.tar.gz'
    assert parse_archive_name('todo-20261122T060000Z')['ext'] is None
    for bad in ('todo.tar.zst', 'todo-20261399T060000Z.tar.zst', 'todo-20261122T060000Z.zip', '', None):
        assert parse_archive_name(bad) is None


def test_keep_last_only():
    archives = hourly(3)
    result = select_prunable(archives, keep_last=3, now=NOW)
    assert result['keep'] == [a['name'] for a in archives[:3]]
    assert result['prune'] == [a['name'] for a in archives[3:]]


def test_daily_and_weekly_keep_newest_of_each_period():
    archives = hourly(30, per_day=2)
    result = select_prunable(archives, keep_last=1, keep_daily=7, keep_weekly=4, now=NOW)
    kept = [parse_archive_name(n)['created'] for n in result['keep']]
    days = sorted({k.date() for k in kept}, reverse=True)
    assert len(days) >= 7
    # one archive per kept day (the newest of that day)
    for name in result['keep']:
        created = parse_archive_name(name)['created']
        same_day = [a for a in archives if parse_archive_name(a['name'])['created'].date() == created.date()]
        assert name == same_day[0]['name']
    weeks = {tuple(parse_archive_name(n)['created'].isocalendar()[:2]) for n in result['keep']}
    assert len(weeks) >= 4
    assert len(result['keep']) + len(result['prune']) == len(archives)
    assert 'daily' in result['reasons'][result['keep'][0]]


def test_daily_counts_days_that_have_archives_not_calendar_days():
    """Backups stopped 20 days ago: keep_daily still keeps 3 archives, from the last 3 days that had one."""
    old = [{'name': name_at(NOW - datetime.timedelta(days=20 + d))} for d in range(5)]
    result = select_prunable(old, keep_last=0, keep_daily=3, now=NOW)
    assert result['keep'] == [a['name'] for a in old[:3]]


def test_retention_counts_only_verified_archives():
    """Two newer unverified archives (no .sha256: their check never passed) do not push the verified ones out."""
    archives = [{'name': name_at(NOW - datetime.timedelta(hours=h)), 'verified': h >= 3} for h in (1, 2, 3, 4)]
    result = select_prunable(archives, keep_last=1, now=NOW)
    assert result['keep'] == [archives[2]['name']]
    assert result['reasons'][archives[2]['name']] == ['last 1', 'newest verified']
    assert result['prune'] == [archives[0]['name'], archives[1]['name'], archives[3]['name']]
    result = select_prunable(archives, keep_last=2, now=NOW)
    assert result['keep'] == [archives[2]['name'], archives[3]['name']]
    # protected unverified archives stay; with nothing verified the newest stays
    assert archives[0]['name'] in select_prunable(archives, keep_last=1, now=NOW, protect=[archives[0]['name']])['keep']
    unverified = [dict(a, verified=False) for a in archives]
    assert select_prunable(unverified, keep_last=1, now=NOW)['keep'] == [archives[0]['name']]


def test_never_leaves_zero():
    archives = [{'name': name_at(NOW - datetime.timedelta(days=d)), 'verified': False} for d in (1, 2)]
    result = select_prunable(archives, keep_last=0, keep_daily=0, keep_weekly=0, now=NOW)
    assert result['keep'] == [archives[0]['name']] and result['prune'] == [archives[1]['name']]
    assert result['reasons'][archives[0]['name']] == ['never leave zero archives']


def test_empty_and_single():
    assert select_prunable([], 3, 3, 3, NOW) == {'keep': [], 'prune': [], 'reasons': {}}
    single = [{'name': name_at(NOW - datetime.timedelta(days=400))}]
    assert select_prunable(single, 0, 0, 0, NOW)['keep'] == [single[0]['name']]


def test_undated_future_protected_and_duplicates_kept_safe():
    archives = [
        {'name': 'todo-manual.tar.zst'},
        {'name': name_at(NOW + datetime.timedelta(days=1))},
        {'name': name_at(NOW - datetime.timedelta(days=1))},
        {'name': name_at(NOW - datetime.timedelta(days=2))},
        {'name': name_at(NOW - datetime.timedelta(days=3))},
        {'name': name_at(NOW - datetime.timedelta(days=3))},
    ]
    result = select_prunable(archives, keep_last=1, now=NOW, protect=[archives[4]['name']])
    assert result['reasons']['todo-manual.tar.zst'] == ['date unknown']
    assert result['reasons'][archives[1]['name']] == ['dated in the future']
    assert result['reasons'][archives[4]['name']][0] == 'protected'
    assert result['prune'] == [archives[3]['name']]


def test_created_field_overrides_name_and_accepts_iso():
    archives = [{'name': 'a.tar.gz', 'created': '2026-11-20T00:00:00Z'}, {'name': 'b.tar.gz', 'created': '2026-11-21T00:00:00+00:00'}]
    result = select_prunable(archives, keep_last=1, now='2026-11-22T00:00:00Z')
    assert result == {'keep': ['b.tar.gz'], 'prune': ['a.tar.gz'], 'reasons': {'b.tar.gz': ['last 1', 'newest verified']}}


def test_negative_counts_rejected():
    with pytest.raises(StackError) as info:
        select_prunable([], keep_last=-1)
    assert info.value.msg == ('keep_last=-1, keep_daily=0, keep_weekly=0: a count below 0 is refused; use 0 or more '
                              '(0 turns that rule off)')


def test_local_dir_selection_and_apply(tmp_path):
    names = [name_at(NOW - datetime.timedelta(days=d)) for d in range(5)]
    for index, name in enumerate(names):
        (tmp_path / name).write_bytes(b'x')
        if index != 0:  # the newest has no .sha256: not verified
            (tmp_path / (name + '.sha256')).write_text('x')
    (tmp_path / 'other-20261101T000000Z.tar.zst').write_bytes(b'x')
    (tmp_path / 'notes.txt').write_text('x')
    archives = local_archives(str(tmp_path), 'todo')
    assert [a['name'] for a in archives] == sorted(names)
    assert [a['verified'] for a in archives if a['name'] == names[0]] == [False]
    result = select_prunable(archives, keep_last=1, now=NOW)
    assert result['keep'] == names[1:2] and result['prune'] == [names[0]] + names[2:]
    planned = apply_retention(str(tmp_path), result['prune'], check_mode=True)
    assert len(planned) == 7 and all(os.path.exists(p) for p in planned)
    removed = apply_retention(str(tmp_path), result['prune'])
    assert removed == planned and not any(os.path.exists(p) for p in removed)
    assert sorted(os.listdir(str(tmp_path))) == sorted([names[1], names[1] + '.sha256', 'other-20261101T000000Z.tar.zst', 'notes.txt'])
    with pytest.raises(StackError, match='path='):
        local_archives(str(tmp_path / 'missing'))


def test_prune_directory_lists_selects_and_deletes_in_one_step(tmp_path):
    names = ['todo-2020010%dT000000Z.tar.zst' % day for day in (1, 2, 3)]
    for name in names + ['sprint-20200101T000000Z.tar.zst']:
        (tmp_path / name).write_bytes(b'x')
        (tmp_path / (name + '.sha256')).write_text('x')
    rules = dict(keep_last=1, keep_daily=0, keep_weekly=0)
    # The archive a real run would write (check mode) counts as the newest verified one: all three would go.
    dry = prune_directory(str(tmp_path), 'todo', check_mode=True, planned='todo-20261122T060000Z.tar.zst',
                          protect=['todo-20261122T060000Z.tar.zst'], **rules)
    assert dry['prune'] == names[::-1] and len(dry['removed']) == 6 and len(os.listdir(str(tmp_path))) == 8
    # apply=false selects only; a real run deletes the archives and their sidecars, never another stack's.
    assert prune_directory(str(tmp_path), 'todo', apply=False, **rules)['removed'] == []
    done = prune_directory(str(tmp_path), 'todo', **rules)
    assert done['keep'] == [names[2]] and len(done['removed']) == 4
    assert sorted(os.listdir(str(tmp_path))) == sorted([names[2], names[2] + '.sha256', 'sprint-20200101T000000Z.tar.zst',
                                                        'sprint-20200101T000000Z.tar.zst.sha256'])
    with pytest.raises(StackError, match='keep_last=-1, keep_daily=7, keep_weekly=4: .*use 0 or more'):
        prune_directory(str(tmp_path), 'todo', keep_last=-1)
    assert len(os.listdir(str(tmp_path))) == 4, "a refused rule deletes nothing"
