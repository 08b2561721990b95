# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the collection importable under plain pytest (ansible-test units does this itself) and load fixtures."""

from __future__ import annotations

import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures')
# .../collections/ansible_collections/tgops/stack/tests/unit/plugins/module_utils -> .../collections
COLLECTIONS_ROOT = os.path.abspath(os.path.join(HERE, *(['..'] * 7)))
if os.path.isdir(os.path.join(COLLECTIONS_ROOT, 'ansible_collections')) and COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)


def load_fixture(name):
    with open(os.path.join(FIXTURES, name), encoding='utf-8') as handle:
        if name.endswith('.json'):
            return json.load(handle)
        return handle.read()


@pytest.fixture
def fixture():
    return load_fixture
