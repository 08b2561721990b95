# -*- coding: utf-8 -*-
# Copyright (c) 2026 tgops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error class of the collection's module_utils, and the one clock.

Every module_utils function that cannot do its job raises StackError with a message that names the value, the
option and the fix; the module reports it with ``module.fail_json(msg=exc.msg, **exc.details)``.
"""

from __future__ import annotations

import datetime


class StackError(Exception):
    """A failure to report with ``fail_json``; ``details`` holds extra result keys (cmd, rc, stdout, stderr, problems...)."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


def utc_now():
    """Now, as an aware UTC datetime with second precision."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
