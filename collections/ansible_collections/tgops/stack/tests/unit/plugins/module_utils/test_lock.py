# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack lock on real files and real processes (no mocks)."""
from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import subprocess
import sys

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.errors import utc_now
from ansible_collections.tgops.stack.plugins.module_utils.lock import (
    LockHeld,
    acquire,
    read_lock,
    release,
    stale_reason,
    this_machine,
)

NOW = utc_now()


def owner(pid):
    return dict(this_machine(), pid=pid)


@pytest.fixture
def run_process():
    """A live process whose command line names ansible-playbook, standing for a run."""
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', 'ansible-playbook'])
    yield proc
    proc.kill()
    proc.wait()


def test_second_run_is_refused_with_who_since_and_where(tmp_path, run_process):
    path = str(tmp_path / 'stack.lock')
    info, status, broken = acquire(path, 'alice via deploy.yml', 'tok-a', NOW, 3600, owner=owner(run_process.pid))
    assert status == 'taken' and broken is None and info['holder'] == 'alice via deploy.yml'
    with pytest.raises(LockHeld, match=r'held by alice via deploy.yml \(pid %d on .*\) since .* Wait' % run_process.pid):
        acquire(path, 'awx job 42', 'tok-b', NOW + datetime.timedelta(seconds=60), 3600)
    assert read_lock(path)[0]['token'] == 'tok-a'
    assert oct(os.stat(path).st_mode)[-3:] == '600'


def test_same_token_is_a_no_op_and_release_is_by_token_only(tmp_path):
    path = str(tmp_path / 'stack.lock')
    acquire(path, 'alice', 'tok-a', NOW, 3600)
    assert acquire(path, 'alice (nested role)', 'tok-a', NOW, 3600)[1] == 'held-by-us'
    with pytest.raises(LockHeld, match='not by this run'):
        release(path, 'tok-b')
    assert release(path, 'tok-a') is True
    assert release(path, 'tok-a') is False
    assert not os.listdir(str(tmp_path)), 'no temp or aside file is left'


def test_old_lock_is_stale_but_only_broken_on_purpose(tmp_path):
    path = str(tmp_path / 'stack.lock')
    acquire(path, 'alice', 'tok-a', NOW - datetime.timedelta(hours=3), 3600)
    with pytest.raises(LockHeld, match='STALE: older than stale_after=3600s.*break_stale=true') as exc:
        acquire(path, 'bob', 'tok-b', NOW, 3600)
    assert exc.value.stale
    info, status, broken = acquire(path, 'bob', 'tok-b', NOW, 3600, break_stale=True)
    assert status == 'taken' and broken['holder'] == 'alice' and 'older than' in broken['stale'] and info['token'] == 'tok-b'


def test_lock_of_a_killed_run_on_this_machine_is_stale(tmp_path, run_process):
    path = str(tmp_path / 'stack.lock')
    proc = run_process
    acquire(path, 'killed run', 'tok-k', NOW, 3600, owner=owner(proc.pid))
    with pytest.raises(LockHeld, match='Wait for that run'):
        acquire(path, 'bob', 'tok-b', NOW, 3600)  # alive: held
    proc.kill()
    proc.wait()
    with pytest.raises(LockHeld, match=r'STALE: its run \(pid %d on .*\) is gone' % proc.pid):
        acquire(path, 'bob', 'tok-b', NOW, 3600)
    assert acquire(path, 'bob', 'tok-b', NOW, 3600, break_stale=True)[1] == 'taken'


def test_lock_from_before_a_reboot_is_stale(tmp_path):
    path = tmp_path / 'stack.lock'
    path.write_text(json.dumps({'holder': 'x', 'token': 't', 'since': NOW.strftime('%Y-%m-%dT%H:%M:%SZ'),
                                'host': this_machine()['host'], 'boot_id': 'another-boot', 'pid': 1}))
    assert 'reboot' in stale_reason(*read_lock(str(path)), NOW, 3600)


def test_empty_or_unreadable_lock_counts_as_held_until_stale(tmp_path):
    path = tmp_path / 'stack.lock'
    path.write_text('')
    with pytest.raises(LockHeld, match=r'held by unknown \(empty lock file\).*Wait') as exc:
        acquire(str(path), 'bob', 'tok-b', utc_now(), 3600)
    assert not exc.value.stale
    old = utc_now().timestamp() - 7200
    os.utime(str(path), (old, old))
    with pytest.raises(LockHeld, match='STALE'):
        acquire(str(path), 'bob', 'tok-b', utc_now(), 3600)
    path.write_text('garbage')
    os.utime(str(path), (old, old))
    assert acquire(str(path), 'bob', 'tok-b', utc_now(), 3600, break_stale=True)[1] == 'taken'


def test_a_waiting_run_takes_the_lock_when_it_is_released(tmp_path):
    path = str(tmp_path / 'stack.lock')
    acquire(path, 'deploy', 'tok-d', NOW, 3600)
    calls = []

    def sleep(seconds):
        calls.append(seconds)
        if len(calls) == 2:
            release(path, 'tok-d')
    clock = iter(range(0, 1000)).__next__
    info, status, _broken = acquire(path, 'backup', 'tok-b', NOW, 3600, wait=30, sleep=sleep, clock=clock)
    assert status == 'taken' and info['holder'] == 'backup' and len(calls) == 2
    with pytest.raises(LockHeld, match=r'^waited 5s: stack lock .* held by backup'):
        acquire(path, 'deploy', 'tok-x', NOW, 3600, wait=5, sleep=lambda s: None, clock=iter(range(0, 1000, 3)).__next__)


def _contender(path, index, barrier, results):
    barrier.wait()
    try:
        acquire(path, 'run %d' % index, 'tok-%d' % index, utc_now(), 3600)
        results.put(index)
    except LockHeld:
        pass


def test_exactly_one_of_twenty_simultaneous_runs_wins(tmp_path):
    ctx = multiprocessing.get_context('fork')
    for round_ in range(20):
        path = str(tmp_path / ('stack-%d.lock' % round_))
        barrier, results = ctx.Barrier(8), ctx.Queue()
        procs = [ctx.Process(target=_contender, args=(path, i, barrier, results)) for i in range(8)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(30)
        winners = []
        while not results.empty():
            winners.append(results.get())
        assert len(winners) == 1, (round_, winners)
        assert read_lock(path)[0]['token'] == 'tok-%d' % winners[0]


def test_a_stale_lock_fails_a_waiting_run_at_once(tmp_path):
    path = str(tmp_path / 'stack.lock')
    acquire(path, 'old', 'tok-o', NOW - datetime.timedelta(hours=3), 3600)
    calls = []
    with pytest.raises(LockHeld, match='STALE') as exc:
        acquire(path, 'backup', 'tok-b', NOW, 3600, wait=600, sleep=calls.append, clock=iter(range(1000)).__next__)
    assert calls == [] and not str(exc.value).startswith('waited')
