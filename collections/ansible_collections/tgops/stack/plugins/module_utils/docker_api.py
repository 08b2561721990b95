# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin access to the Docker SDK for Python (what exists: volumes and containers)."""

from __future__ import annotations

import os
import traceback

from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError

DOCKER_IMPORT_ERROR = None
try:
    import docker
except ImportError:  # pragma: no cover - exercised when the SDK is missing
    docker = None
    DOCKER_IMPORT_ERROR = traceback.format_exc()

PROJECT_LABEL = 'com.docker.compose.project'
SERVICE_LABEL = 'com.docker.compose.service'
VOLUME_LABEL = 'com.docker.compose.volume'
DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'


def effective_docker_host(docker_host=None):
    return docker_host or os.environ.get('DOCKER_HOST') or DEFAULT_DOCKER_HOST


def unreachable_message(host, error):
    return 'Docker daemon at %s not reachable: %s. Start dockerd or set docker_host' % (host, error)


def connect(docker_host=None):
    """Return a pinged DockerClient or raise StackError with a clear message."""
    host = effective_docker_host(docker_host)
    try:
        client = docker.DockerClient(base_url=host, version='auto', timeout=60)
        client.ping()
    except Exception as exc:  # pylint: disable=broad-except  # any SDK/transport error means "not reachable"
        raise StackError(unreachable_message(host, exc), docker_host=host) from exc
    return client


def list_volume_attrs(client):
    """Attributes (as ``docker volume inspect``) of all volumes."""
    try:
        return [vol.attrs for vol in client.volumes.list()]
    except Exception as exc:  # pylint: disable=broad-except
        raise StackError('Docker volume list failed: %s' % exc) from exc


def list_project_container_attrs(client, project):
    """Attributes (as ``docker inspect``) of all containers, stopped ones included, of a Compose project."""
    try:
        containers = client.containers.list(all=True, filters={'label': '%s=%s' % (PROJECT_LABEL, project)})
        return sorted((c.attrs for c in containers), key=lambda a: a.get('Name', ''))
    except Exception as exc:  # pylint: disable=broad-except
        raise StackError('Docker container list for project %s failed: %s' % (project, exc)) from exc
