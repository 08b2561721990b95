# -*- coding: utf-8 -*-
# Copyright (c) 2026 tgops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress lines for long transfers (S3 upload, verify, download; archive building).

A module cannot print while it runs; it returns these lines in its result (``progress``), one per
``every`` bytes plus a last one, so the job output and the journal show how a long transfer went.
Liveness while it runs comes from running the task with ``async``/``poll`` (see the backup role).
The counter is thread-safe because boto3's transfer manager calls it from several threads.
"""

from __future__ import annotations

import threading
import time

MIB = 1024 * 1024
DEFAULT_EVERY_MIB = 64


def human_bytes(n):
    """``512 B``, ``3.0 MiB``, ``1.25 GiB``."""
    n = int(n)
    if n < 1024:
        return '%d B' % n
    if n < 1024 * MIB:
        return '%.1f MiB' % (n / MIB) if n >= MIB else '%.1f KiB' % (n / 1024)
    return '%.2f GiB' % (n / (1024 * MIB))


class TransferProgress:
    """Count bytes of one transfer and keep a line every ``every_mib`` MiB (0 turns the lines off) and at the end."""

    def __init__(self, label, total=None, every_mib=DEFAULT_EVERY_MIB, clock=time.monotonic):
        self.label = label
        self.total = int(total) if total else None
        self.every = int(every_mib) * MIB if every_mib else 0
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.lines = []
        self._next = self.every
        self._lock = threading.Lock()

    def line(self):
        """The state now, as one line."""
        elapsed = max(self.clock() - self.started, 0.0)
        rate = ('%s/s' % human_bytes(self.done / elapsed)) if elapsed > 0 else 'n/a'
        of = ''
        if self.total:
            of = ' of %s (%d%%)' % (human_bytes(self.total), int(100 * self.done / self.total))
        return '%s: %s%s after %.1f s, %s' % (self.label, human_bytes(self.done), of, elapsed, rate)

    def __call__(self, nbytes):
        """Add ``nbytes`` (boto3's Callback signature)."""
        with self._lock:
            self.done += int(nbytes)
            if not self.every:
                return
            if self.done >= self._next:
                self.lines.append(self.line())
                while self._next <= self.done:
                    self._next += self.every

    def finish(self):
        """Add the last line (unless the last step line already says the same) and return all lines."""
        with self._lock:
            if self.every:
                last = self.line()
                if not self.lines or self.lines[-1].split(' after ')[0] != last.split(' after ')[0]:
                    self.lines.append(last)
            return list(self.lines)
