# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.db_copies import copy_candidates, path_in_volume


def test_path_in_volume_and_candidates():
    assert path_in_volume('/data/organizer.db', '/data/') == 'organizer.db'
    assert path_in_volume('/data/sub/x.db', '/data') == 'sub/x.db'
    assert path_in_volume('/datax/x.db', '/data') is None
    assert copy_candidates('deploy_db_data', ['deploy_runtime_data', 'deploy_db_data'], 'organizer.db') == [
        ('deploy_db_data', 'organizer.db', 'runtime'), ('deploy_runtime_data', 'organizer.db', 'related')]
