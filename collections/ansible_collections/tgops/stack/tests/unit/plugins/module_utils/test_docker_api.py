# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from unittest import mock

import pytest
from ansible_collections.tgops.stack.plugins.module_utils import docker_api
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def test_effective_docker_host(monkeypatch):
    monkeypatch.delenv('DOCKER_HOST', raising=False)
    assert docker_api.effective_docker_host() == 'unix:///var/run/docker.sock'
    monkeypatch.setenv('DOCKER_HOST', 'tcp://10.0.0.1:2375')
    assert docker_api.effective_docker_host() == 'tcp://10.0.0.1:2375'
    assert docker_api.effective_docker_host('unix:///run/user/1000/docker.sock') == 'unix:///run/user/1000/docker.sock'


def test_connect_unreachable_message():
    fake = mock.Mock()
    fake.DockerClient.side_effect = Exception('Error while fetching server API version: connection refused')
    with mock.patch.object(docker_api, 'docker', fake):
        with pytest.raises(StackError) as exc:
            docker_api.connect('tcp://127.0.0.1:1')
    assert exc.value.msg == ('Docker daemon at tcp://127.0.0.1:1 not reachable: Error while fetching server API version: '
                             'connection refused. Start dockerd or set docker_host')


def test_list_project_containers_filters_by_label(fixture):
    client = mock.Mock()
    client.containers.list.return_value = [mock.Mock(attrs=a) for a in reversed(fixture('split_containers.json'))]
    attrs = docker_api.list_project_container_attrs(client, 'tgopsutdeploy')
    client.containers.list.assert_called_once_with(all=True, filters={'label': 'com.docker.compose.project=tgopsutdeploy'})
    assert [a['Name'] for a in attrs] == ['/tgopsutdeploy-api-1', '/tgopsutdeploy-telegram-bot-1', '/tgopsutdeploy-worker-1']


def test_list_volumes_error():
    client = mock.Mock()
    client.volumes.list.side_effect = Exception('boom')
    with pytest.raises(StackError, match='^Docker volume list failed: boom$'):
        docker_api.list_volume_attrs(client)
