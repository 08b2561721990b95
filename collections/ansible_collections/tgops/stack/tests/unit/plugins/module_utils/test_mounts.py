# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.mounts import (
    covering_mount,
    describe_mounts,
    host_path,
    normalize_container_mounts,
    path_is_under,
)

MOUNTS = [
    {'target': '/', 'name': 'root'},
    {'target': '/data', 'name': 'data'},
    {'target': '/data/sub', 'name': 'sub'},
    {'target': '/app/canon', 'name': 'canon'},
]


def test_longest_prefix_wins():
    assert covering_mount('/data/sub/x.db', MOUNTS)['name'] == 'sub'
    assert covering_mount('/data/x.db', MOUNTS)['name'] == 'data'
    assert covering_mount('/data', MOUNTS)['name'] == 'data'


def test_component_boundary():
    mounts = [{'target': '/data'}]
    assert covering_mount('/database/x.db', mounts) is None
    assert covering_mount('/data2/x.db', mounts) is None
    assert path_is_under('/data/../etc/x', '/data') is False
    assert path_is_under('/data//x.db', '/data/') is True


def test_root_mount_covers_everything():
    assert covering_mount('/srv/x.db', MOUNTS)['name'] == 'root'
    assert covering_mount('/srv/x.db', MOUNTS[1:]) is None


def test_host_path():
    assert host_path('/data/organizer.db', '/data', '/var/lib/docker/volumes/deploy_db_data/_data') == \
        '/var/lib/docker/volumes/deploy_db_data/_data/organizer.db'
    assert host_path('/var/lib/postgresql/data', '/var/lib/postgresql/data', '/v/_data') == '/v/_data'


def test_normalize_container_mounts_real(fixture):
    attrs = fixture('split_containers.json')[0]
    mounts = normalize_container_mounts(attrs['Mounts'])
    assert mounts == [
        {'type': 'bind', 'name': None, 'source': '/tmp/tgopsut/split/canon', 'destination': '/app/canon', 'rw': False},
        {'type': 'volume', 'name': 'tgopsutdeploy_db_data', 'source': '/var/lib/docker/volumes/tgopsutdeploy_db_data/_data',
         'destination': '/data', 'rw': True},
    ]


def test_describe_mounts():
    assert describe_mounts([]) == 'none'
    text = describe_mounts([{'type': 'volume', 'volume_key': 'db_data', 'target': '/data'},
                            {'type': 'bind', 'source': '/srv/canon', 'target': '/app/canon', 'read_only': True}])
    assert text == '/app/canon (bind /srv/canon, ro), /data (volume db_data)'
