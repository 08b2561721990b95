# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime
import json

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.lock import LockHeld, acquire, read_lock, release

NOW = datetime.datetime(2026, 11, 22, 10, 0, 0, tzinfo=datetime.timezone.utc)


def test_second_holder_is_refused_with_who_and_since(tmp_path):
    path = str(tmp_path / 'deploy.lock')
    info, broken = acquire(path, 'alice', NOW, 3600)
    assert broken is None and info['holder'] == 'alice'
    with pytest.raises(LockHeld, match=r'held by alice since 2026-11-22T10:00:00Z \(60s ago\)\. Wait'):
        acquire(path, 'awx job 42', NOW + datetime.timedelta(seconds=60), 3600)
    assert read_lock(path)['holder'] == 'alice'


def test_stale_lock_is_reported_and_only_broken_on_purpose(tmp_path):
    path = str(tmp_path / 'deploy.lock')
    acquire(path, 'alice', NOW, 60)
    later = NOW + datetime.timedelta(hours=2)
    with pytest.raises(LockHeld, match='STALE.*break_stale=true'):
        acquire(path, 'bob', later, 60)
    info, broken = acquire(path, 'bob', later, 60, break_stale=True)
    assert broken['holder'] == 'alice' and info['holder'] == 'bob'


def test_release_only_by_the_holder(tmp_path):
    path = str(tmp_path / 'deploy.lock')
    acquire(path, 'alice', NOW, 60)
    with pytest.raises(LockHeld, match='not by bob'):
        release(path, 'bob')
    assert release(path, 'alice') is True
    assert release(path, 'alice') is False


def test_unreadable_lock_counts_as_stale_holder_unknown(tmp_path):
    path = tmp_path / 'deploy.lock'
    path.write_text('garbage')
    with pytest.raises(LockHeld, match='unknown'):
        acquire(str(path), 'bob', NOW, 60)
    info, broken = acquire(str(path), 'bob', NOW, 60, break_stale=True)
    assert json.loads(path.read_text())['holder'] == 'bob' and broken['since'] is None
