# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure functions joining the Compose model with what exists in Docker (volumes, containers)."""

from __future__ import annotations

from ansible_collections.tgops.stack.plugins.module_utils.compose import (
    config_sha256,
    service_volumes,
    summarize_services,
    volume_users,
)
from ansible_collections.tgops.stack.plugins.module_utils.docker_api import PROJECT_LABEL, SERVICE_LABEL, VOLUME_LABEL
from ansible_collections.tgops.stack.plugins.module_utils.mounts import normalize_container_mounts

CONFIG_FILES_LABEL = 'com.docker.compose.project.config_files'
REASON_LABEL = 'project label but not in the compose model'
REASON_PREFIX = 'name prefix %s_ but not in the compose model'


def volumes_by_name(volume_attrs):
    return dict((attrs.get('Name'), attrs) for attrs in volume_attrs or [])


def map_volumes(config, volume_attrs):
    """Volume keys of the model -> real name, existence and usage."""
    existing = volumes_by_name(volume_attrs)
    users = volume_users(config)
    result = {}
    for key, spec in sorted((config.get('volumes') or {}).items()):
        spec = spec or {}
        name = spec.get('name')
        attrs = existing.get(name)
        result[key] = {
            'name': name,
            'external': bool(spec.get('external', False)),
            'exists': attrs is not None,
            'driver': (attrs or {}).get('Driver') or spec.get('driver') or ('local' if attrs is None else None),
            'mountpoint': (attrs or {}).get('Mountpoint'),
            'created': (attrs or {}).get('CreatedAt'),
            'used_by': users.get(key, []),
            'labels': dict((attrs or {}).get('Labels') or spec.get('labels') or {}),
        }
    return result


def related_volumes(project, model_volume_names, volume_attrs):
    """Volumes that look like part of ``project`` but are not in the model (e.g. left over by an older file or override)."""
    model_names = set(model_volume_names)
    prefix = project + '_'
    result = []
    for attrs in sorted(volume_attrs or [], key=lambda a: a.get('Name') or ''):
        name = attrs.get('Name') or ''
        if name in model_names:
            continue
        labels = attrs.get('Labels') or {}
        owner = labels.get(PROJECT_LABEL)
        if owner == project:
            reason = REASON_LABEL
        elif name.startswith(prefix) and owner is None:
            # A volume labelled for another project (say "deploy_staging") is that project's, not ours.
            reason = REASON_PREFIX % project
        else:
            continue
        result.append({
            'name': name,
            'exists': True,
            'mountpoint': attrs.get('Mountpoint'),
            'reason': reason,
            'labels': dict(labels),
        })
    return result


def container_status(state):
    status = state.get('Status') or 'unknown'
    if status == 'exited':
        status = 'exited (code %s)' % state.get('ExitCode')
    health = (state.get('Health') or {}).get('Status')
    if health:
        status = '%s (%s)' % (status, health)
    return status


def summarize_container(attrs):
    """One container (``docker inspect`` attributes) -> the fields the modules return."""
    labels = (attrs.get('Config') or {}).get('Labels') or {}
    state = attrs.get('State') or {}
    return {
        'service': labels.get(SERVICE_LABEL),
        'name': (attrs.get('Name') or '').lstrip('/'),
        'id': attrs.get('Id'),
        'image': (attrs.get('Config') or {}).get('Image'),
        'image_id': attrs.get('Image'),
        'state': state.get('Status'),
        'health': (state.get('Health') or {}).get('Status'),
        'status': container_status(state),
        'restart_count': attrs.get('RestartCount', 0),
        'started_at': state.get('StartedAt'),
        'mounts': normalize_container_mounts(attrs.get('Mounts')),
    }


def volume_warnings(project, volumes):
    warnings = []
    for key, vol in sorted(volumes.items()):
        if not vol['exists']:
            if vol['external']:
                warnings.append('external volume %s (key %s) does not exist; create it before docker compose up' % (vol['name'], key))
            else:
                warnings.append('volume %s (key %s) does not exist yet; docker compose up will create it empty' % (vol['name'], key))
            continue
        if vol['external']:
            continue
        owner = vol['labels'].get(PROJECT_LABEL)
        vkey = vol['labels'].get(VOLUME_LABEL)
        if owner is not None and (owner != project or vkey != key):
            warnings.append('volume %s (key %s) is labelled for project %s key %s, not project %s key %s'
                            % (vol['name'], key, owner, vkey, project, key))
    return warnings


def container_warnings(config, containers):
    """Drift between the model and the project's containers."""
    warnings = []
    for ctr in containers:
        service = ctr['service']
        if service not in config['services']:
            warnings.append('container %s (service %s) is not in the compose model (orphan, or its profile is inactive)'
                            % (ctr['name'], service))
            continue
        by_dest = dict((m['destination'], m) for m in ctr['mounts'])
        for vol in service_volumes(config, service):
            if vol['type'] != 'volume':
                continue
            mount = by_dest.get(vol['target'])
            if mount is None:
                warnings.append('container %s has no mount at %s, the model mounts volume %s (key %s) there; recreate it with docker compose up -d'
                                % (ctr['name'], vol['target'], vol['volume_name'], vol['source']))
            elif mount['name'] != vol['volume_name']:
                warnings.append('container %s mounts %s at %s but the model mounts volume %s (key %s); recreate it with docker compose up -d'
                                % (ctr['name'], mount['name'] or mount['source'], vol['target'], vol['volume_name'], vol['source']))
    return warnings


def config_files_warnings(container_attrs, files):
    """Containers created from other Compose files than the ones inspected (only when files were given)."""
    if not files:
        return []
    warnings = []
    wanted = ','.join(files)
    for attrs in container_attrs:
        labels = (attrs.get('Config') or {}).get('Labels') or {}
        used = labels.get(CONFIG_FILES_LABEL)
        if used is not None and used != wanted:
            warnings.append('container %s was created from compose files %s, not %s'
                            % ((attrs.get('Name') or '').lstrip('/'), used, wanted))
    return warnings


def build_stack(config, project_src, files, env_files, volume_attrs, container_attrs):
    """The ``stack`` result of compose_stack_info (pure)."""
    project = config['name']
    volumes = map_volumes(config, volume_attrs)
    containers = [summarize_container(attrs) for attrs in container_attrs]
    related = related_volumes(project, [v['name'] for v in volumes.values()], volume_attrs)
    warnings = volume_warnings(project, volumes)
    warnings.extend(container_warnings(config, containers))
    warnings.extend(config_files_warnings(container_attrs, files))
    for rel in related:
        warnings.append('volume %s: %s; make sure nothing (for example a migration) writes to it' % (rel['name'], rel['reason']))
    return {
        'project_name': project,
        'project_src': project_src,
        'files': list(files),
        'env_files': list(env_files),
        'config_sha256': config_sha256(config),
        'services': summarize_services(config),
        'volumes': volumes,
        'containers': containers,
        'related_volumes': related,
        'warnings': warnings,
    }
