# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the collection importable under plain pytest (ansible-test units does this itself)."""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS_ROOT = os.path.abspath(os.path.join(HERE, *(['..'] * 7)))
if os.path.isdir(os.path.join(COLLECTIONS_ROOT, 'ansible_collections')) and COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
