# -*- coding: utf-8 -*-
"""Concurrent journal writers: real processes on real files (no mocks)."""
from __future__ import annotations

import json
import multiprocessing
import os
import time

import pytest
from ansible_collections.tgops.stack.plugins.module_utils import journal

HAND = '# Ops journal\n\nHand-written intro, kept byte for byte.\n\n## Incidents and actions\n\nA note by hand.\n'


def _writer(path, index, barrier):
    barrier.wait()
    journal.update_journal(path, 'entry-%02d' % index, 'changes', content='### Entry %d\n- written by writer %d\n' % (index, index),
                           kind='deploy', record={'writer': index})


def test_ten_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    with open(path, 'w') as handle:
        handle.write(HAND)
    ctx = multiprocessing.get_context('fork')
    barrier = ctx.Barrier(10)
    procs = [ctx.Process(target=_writer, args=(path, i, barrier)) for i in range(10)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    text = open(path).read()
    ids = [entry['id'] for entry in journal.parse_journal(text)['entries']]
    assert sorted(ids) == ['entry-%02d' % i for i in range(10)]
    assert 'Hand-written intro, kept byte for byte.' in text and 'A note by hand.' in text
    records = [json.loads(line) for line in open(journal.default_jsonl_path(path))]
    assert sorted(r['results']['writer'] for r in records) == list(range(10))
    assert oct(os.stat(journal.lock_path(path)).st_mode)[-3:] == '600'


def _holder(path, ready, release):
    with journal.locked(path):
        ready.set()
        release.wait(30)


def test_a_held_lock_makes_a_writer_wait_then_fail_naming_the_lock(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    ctx = multiprocessing.get_context('fork')
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_holder, args=(path, ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        start = time.monotonic()
        with pytest.raises(journal.JournalError) as exc:
            journal.update_journal(path, 'x', 'changes', content='x\n', lock_timeout=0.5)
        assert time.monotonic() - start >= 0.5
        assert journal.lock_path(path) in str(exc.value)
        assert not os.path.exists(path), 'nothing is written without the lock'
    finally:
        release.set()
        holder.join(10)


def test_a_killed_holder_releases_the_lock(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    ctx = multiprocessing.get_context('fork')
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_holder, args=(path, ready, release))
    holder.start()
    assert ready.wait(10)
    holder.kill()
    holder.join(10)
    result = journal.update_journal(path, 'after-kill', 'changes', content='ok\n', lock_timeout=5)
    assert result['changed'] and result['action'] == 'added'


def test_check_mode_reads_without_the_lock_and_writes_nothing(tmp_path):
    path = str(tmp_path / 'OPS_JOURNAL.md')
    result = journal.update_journal(path, 'x', 'changes', content='x\n', record={'a': 1}, check_mode=True)
    assert result['changed'] and result['action'] == 'added'
    assert not os.listdir(str(tmp_path))
