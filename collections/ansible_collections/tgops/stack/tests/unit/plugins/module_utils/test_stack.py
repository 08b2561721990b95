# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from ansible_collections.tgops.stack.plugins.module_utils.stack import (
    REASON_LABEL,
    build_stack,
    config_files_warnings,
    map_volumes,
    related_volumes,
    summarize_container,
)

SPLIT_FILES = ['/tmp/tgopsut/split/docker-compose.yml', '/tmp/tgopsut/split/docker-compose.vps.override.yml']


def test_map_volumes_name_override_external_and_labels(fixture):
    volumes = map_volumes(fixture('naming_config.json'), fixture('volumes_all.json'))
    assert sorted(volumes) == ['data2', 'ext', 'shared']
    assert volumes['shared']['name'] == 'tgopsut_custom_shared'
    assert volumes['shared']['exists'] is True
    assert volumes['ext']['name'] == 'tgopsut_ext' and volumes['ext']['external'] is True and volumes['ext']['exists'] is True
    assert volumes['data2']['name'] == 'tgopsutnaming_data2'
    assert volumes['data2']['labels']['tgops.example'] == 'remapped'
    assert volumes['data2']['mountpoint'] == '/var/lib/docker/volumes/tgopsutnaming_data2/_data'
    assert volumes['data2']['used_by'] == [{'service': 'app', 'target': '/srv/state', 'read_only': False}]


def test_map_volumes_missing_volume(fixture):
    volumes = map_volumes(fixture('split_config.json'), [])
    assert volumes['db_data'] == {'name': 'tgopsutdeploy_db_data', 'external': False, 'exists': False, 'driver': 'local',
                                  'mountpoint': None, 'created': None, 'labels': {},
                                  'used_by': [{'service': 'api', 'target': '/data', 'read_only': False},
                                              {'service': 'worker', 'target': '/data', 'read_only': False}]}


def test_related_volumes_split_case(fixture):
    related = related_volumes('tgopsutdeploy', ['tgopsutdeploy_db_data'], fixture('volumes_all.json'))
    by_name = dict((r['name'], r) for r in related)
    assert sorted(by_name) == ['tgopsutdeploy_old', 'tgopsutdeploy_runtime_data']
    assert by_name['tgopsutdeploy_runtime_data']['reason'] == REASON_LABEL
    assert by_name['tgopsutdeploy_runtime_data']['labels']['com.docker.compose.volume'] == 'runtime_data'
    assert by_name['tgopsutdeploy_old']['reason'] == 'name prefix tgopsutdeploy_ but not in the compose model'
    assert by_name['tgopsutdeploy_old']['exists'] is True


def test_related_volumes_override_remap(fixture):
    # "data" was created before compose.override.yaml remapped app to "data2"; the tool service (profile) still uses it.
    related = related_volumes('tgopsutnaming', ['tgopsutnaming_data2', 'tgopsut_custom_shared', 'tgopsut_ext'], fixture('volumes_all.json'))
    assert [r['name'] for r in related] == ['tgopsutnaming_data']
    # with every profile enabled, "data" is in the model again
    volumes = map_volumes(fixture('naming_allprofiles_config.json'), fixture('volumes_all.json'))
    names = [v['name'] for v in volumes.values()]
    assert related_volumes('tgopsutnaming', names, fixture('volumes_all.json')) == []


def test_related_volumes_ignores_other_projects_with_same_prefix():
    attrs = [
        {'Name': 'deploy_staging_db_data', 'Labels': {'com.docker.compose.project': 'deploy_staging'}, 'Mountpoint': '/x'},
        {'Name': 'deploy_db_data', 'Labels': {'com.docker.compose.project': 'deploy'}, 'Mountpoint': '/y'},
        {'Name': 'deployx_db', 'Labels': None, 'Mountpoint': '/z'},
    ]
    assert related_volumes('deploy', ['deploy_db_data'], attrs) == []


def test_summarize_container_real(fixture):
    api = summarize_container(fixture('split_containers.json')[0])
    assert api['service'] == 'api' and api['name'] == 'tgopsutdeploy-api-1'
    assert api['state'] == 'running' and api['health'] == 'healthy' and api['status'] == 'running (healthy)'
    assert api['image'] == 'tgops-sandbox/base:bookworm' and api['image_id'].startswith('sha256:')
    assert api['restart_count'] == 0
    tool = next(summarize_container(a) for a in fixture('naming_containers.json') if a['Name'] == '/tgopsutnaming-tool-1')
    assert tool['state'] == 'exited' and tool['status'] == 'exited (code 137)' and tool['health'] is None


def test_build_stack_split_healthy(fixture):
    stack = build_stack(fixture('split_config.json'), '/tmp/tgopsut/split', SPLIT_FILES, ['/tmp/tgopsut/split/.env.prod'],
                        fixture('volumes_all.json'), fixture('split_containers.json'))
    assert stack['project_name'] == 'tgopsutdeploy'
    assert stack['volumes']['db_data']['name'] == 'tgopsutdeploy_db_data'
    assert [c['service'] for c in stack['containers']] == ['api', 'telegram-bot', 'worker']
    assert [r['name'] for r in stack['related_volumes']] == ['tgopsutdeploy_old', 'tgopsutdeploy_runtime_data']
    assert not [w for w in stack['warnings'] if 'recreate' in w or 'created from' in w]
    assert 'secret-token' not in json.dumps(stack)


def test_build_stack_split_drift_warns(fixture):
    stack = build_stack(fixture('split_config.json'), '/tmp/tgopsut/split', SPLIT_FILES, [], fixture('volumes_all.json'),
                        fixture('split_drift_containers.json'))
    drift = [w for w in stack['warnings'] if 'recreate' in w]
    assert drift == ['container tgopsutdeploy-worker-1 mounts tgopsutdeploy_runtime_data at /data but the model mounts volume '
                     'tgopsutdeploy_db_data (key db_data); recreate it with docker compose up -d']
    assert any('created from compose files' in w and 'docker-compose.incident.yml' in w for w in stack['warnings'])


def test_build_stack_orphan_and_external(fixture):
    stack = build_stack(fixture('naming_config.json'), '/tmp/tgopsut/naming', [], [], [], fixture('naming_containers.json'))
    warnings = stack['warnings']
    assert 'external volume tgopsut_ext (key ext) does not exist; create it before docker compose up' in warnings
    assert any(w.startswith('container tgopsutnaming-tool-1 (service tool) is not in the compose model') for w in warnings)
    assert stack['files'] == []


def test_config_files_warnings_only_with_files(fixture):
    assert config_files_warnings(fixture('split_drift_containers.json'), []) == []
