# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import threading

from ansible_collections.tgops.stack.plugins.module_utils.progress import MIB, TransferProgress, human_bytes


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_human_bytes():
    assert [human_bytes(n) for n in (0, 512, 2048, 3 * MIB, 1536 * MIB)] == ['0 B', '512 B', '2.0 KiB', '3.0 MiB', '1.50 GiB']


def test_a_line_every_step_and_one_at_the_end():
    clock = _Clock()
    progress = TransferProgress('upload s3://b/k', total=200 * MIB, every_mib=64, clock=clock)
    for _chunk in range(25):  # 25 chunks of 8 MiB, 1 s each
        clock.now += 1
        progress(8 * MIB)
    lines = progress.finish()
    assert lines == [
        'upload s3://b/k: 64.0 MiB of 200.0 MiB (32%) after 8.0 s, 8.0 MiB/s',
        'upload s3://b/k: 128.0 MiB of 200.0 MiB (64%) after 16.0 s, 8.0 MiB/s',
        'upload s3://b/k: 192.0 MiB of 200.0 MiB (96%) after 24.0 s, 8.0 MiB/s',
        'upload s3://b/k: 200.0 MiB of 200.0 MiB (100%) after 25.0 s, 8.0 MiB/s',
    ]


def test_one_big_callback_crossing_several_steps_gives_one_line():
    progress = TransferProgress('download', total=None, every_mib=1, clock=_Clock())
    progress(5 * MIB)
    assert progress.lines == ['download: 5.0 MiB after 0.0 s, n/a']
    assert progress.finish() == ['download: 5.0 MiB after 0.0 s, n/a'], 'the last line is not repeated'


def test_zero_turns_the_lines_off_but_still_counts():
    progress = TransferProgress('archive a', total=10, every_mib=0)
    progress(10)
    assert progress.finish() == [] and progress.done == 10


def test_thread_safe_count():
    progress = TransferProgress('upload', total=None, every_mib=1)

    def writer():
        for _block in range(1000):
            progress(1024)

    threads = [threading.Thread(target=writer) for _thread in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert progress.done == 8 * 1000 * 1024
    assert len(progress.lines) == 7, progress.lines  # 8 000 KiB is 7.8 MiB: one line per whole MiB crossed
