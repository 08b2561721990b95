# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scratch copy of a Compose project that can run beside production without touching it.

Input is the project's resolved model (``docker compose config --format json``: files merged, env files read,
variables interpolated). The copy:

- is its own project (``name``), so its containers never replace production's;
- has every volume and non-external network renamed into the scratch project (explicit ``name:`` included), so no
  data and no network is shared;
- drops external networks (the way to the outside world, e.g. a shared Bot API network) unless kept on purpose;
- publishes no port and sets no ``container_name`` (nothing clashes with production);
- points read-write bind mounts at empty directories of its own (read-only binds, such as a key file, stay);
- never restarts a crashed container (``restart: "no"``), so a failure shows as exited at once;
- applies environment overrides to every service (e.g. the Bot API base pointed at a sink, backups off).

The model holds every env value; it is written only to a 0600 file on the host and never returned.
"""

from __future__ import annotations

import copy
import re

SCRATCH_LABEL = 'tgops.scratch'
_SAFE = re.compile(r'[^A-Za-z0-9_.-]+')


def scratch_model(config, scratch_name, bind_root, env=None, keep_networks=None, mounts=None):
    """(model, summary) of the scratch copy of ``config``; ``summary`` holds no env value.

    ``mounts`` are read-only binds added to the copy, each ``{'service', 'source', 'target'}`` (for example the
    directory holding the dump a scratch database restores from); an unknown service raises ValueError.
    """
    model = copy.deepcopy(config)
    model['name'] = scratch_name
    keep_networks = set(keep_networks or [])
    summary = {'project': scratch_name, 'volumes': {}, 'networks': {}, 'networks_dropped': [], 'binds_redirected': [],
               'ports_dropped': [], 'services': sorted((model.get('services') or {}).keys()),
               'env_overridden': sorted((env or {}).keys()), 'mounts_added': []}

    for key, vol in sorted((model.get('volumes') or {}).items()):
        vol = dict(vol or {})
        vol.pop('external', None)
        vol['name'] = '%s_%s' % (scratch_name, key)
        model['volumes'][key] = vol
        summary['volumes'][key] = vol['name']

    dropped = set()
    for key, net in sorted((model.get('networks') or {}).items()):
        net = dict(net or {})
        if net.get('external') and key not in keep_networks:
            dropped.add(key)
            continue
        if not net.get('external'):
            net['name'] = '%s_%s' % (scratch_name, key)
        model['networks'][key] = net
        summary['networks'][key] = net.get('name') or key
    for key in dropped:
        del model['networks'][key]
    summary['networks_dropped'] = sorted(dropped)

    for name, svc in sorted((model.get('services') or {}).items()):
        svc = svc or {}
        if svc.get('ports'):
            summary['ports_dropped'].append(name)
        svc.pop('ports', None)
        svc.pop('container_name', None)
        svc['restart'] = 'no'
        labels = svc.get('labels') or {}
        if isinstance(labels, list):
            labels = dict(item.split('=', 1) if '=' in item else (item, '') for item in labels)
        labels[SCRATCH_LABEL] = scratch_name
        svc['labels'] = labels
        networks = svc.get('networks')
        if isinstance(networks, dict):
            svc['networks'] = dict((k, v) for k, v in networks.items() if k not in dropped)
            if not svc['networks']:
                svc['networks'] = {'default': None}
        elif isinstance(networks, list):
            svc['networks'] = [k for k in networks if k not in dropped] or ['default']
        volumes = []
        for index, mount in enumerate(svc.get('volumes') or []):
            mount = dict(mount)
            if mount.get('type') == 'bind' and not mount.get('read_only'):
                target = '%s/%s/%d-%s' % (bind_root.rstrip('/'), _SAFE.sub('_', name), index, _SAFE.sub('_', mount.get('target', '')).strip('_'))
                summary['binds_redirected'].append({'service': name, 'target': mount.get('target'), 'scratch_source': target})
                mount['source'] = target
                mount['bind'] = dict(mount.get('bind') or {}, create_host_path=True)
            volumes.append(mount)
        if volumes:
            svc['volumes'] = volumes
        if env:
            environment = svc.get('environment') or {}
            if isinstance(environment, list):
                environment = dict(item.split('=', 1) if '=' in item else (item, None) for item in environment)
            environment.update(dict((k, '' if v is None else str(v)) for k, v in env.items()))
            svc['environment'] = environment
        model['services'][name] = svc
    for mount in mounts or []:
        svc = model['services'].get(mount['service'])
        if svc is None:
            raise ValueError('mounts: service %s is not in the project (services: %s)'
                             % (mount['service'], ', '.join(summary['services'])))
        svc.setdefault('volumes', []).append({'type': 'bind', 'source': mount['source'], 'target': mount['target'],
                                              'read_only': True, 'bind': {'create_host_path': False}})
        summary['mounts_added'].append({'service': mount['service'], 'source': mount['source'], 'target': mount['target']})
    if 'default' not in (model.get('networks') or {}) and any(
            (s.get('networks') == {'default': None} or s.get('networks') == ['default']) for s in model['services'].values()):
        model.setdefault('networks', {})['default'] = {'name': '%s_default' % scratch_name}
    return model, summary
