#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: compose_scratch
short_description: Write (or remove) a scratch copy of a Compose project that runs beside production without touching it
version_added: 0.1.0
description:
  - Reads the project's resolved model (C(docker compose config), the source of truth for merged files, env files and
    interpolation) and writes a self-contained Compose file for a scratch project O(scratch_name) into O(dest)
    (mode 0600, because it holds the env values).
  - The copy renames every volume and non-external network into the scratch project (explicit C(name:) included),
    drops external networks unless listed in O(keep_networks), publishes no port, sets no C(container_name), points
    read-write bind mounts at empty directories under O(dest), never restarts a crashed container and applies the
    environment overrides O(env) to every service. Read-only binds (key files) stay. O(mounts) adds read-only binds of
    its own (their source directories are created 0700), for example the directory a scratch database restores a dump from.
  - O(state=absent) removes the scratch project's containers, volumes and networks (C(docker compose down -v)) and
    O(dest).
  - Custom because no module derives an isolated copy of a project from its resolved model; running and removing it
    is left to M(community.docker.docker_compose_v2) and friends with RV(file) and RV(project).
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
options:
  scratch_name:
    description: Name of the scratch project; default C(<project>-rehearsal).
    type: str
  dest:
    description: Private directory on the host for the scratch Compose file and bind directories; created 0700.
    type: path
    required: true
  env:
    description: Environment values set in every service of the copy (for example the Bot API base pointed at a sink).
    type: dict
    default: {}
  keep_networks:
    description: External networks the copy keeps (by key); default none.
    type: list
    elements: str
    default: []
  mounts:
    description:
      - Read-only bind mounts added to services of the copy; each source directory is created (0700) when missing.
    type: list
    elements: dict
    default: []
    suboptions:
      service:
        description: Service of the project that gets the mount.
        type: str
        required: true
      source:
        description: Directory on the host.
        type: path
        required: true
      target:
        description: Path inside the container.
        type: str
        required: true
  state:
    description: V(present) writes the copy; V(absent) removes the scratch project and O(dest).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details:
      - Computes the copy and reports what it would be; writes and removes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - The same model gives the same file; removing what is absent changes nothing.
"""

EXAMPLES = r"""
- name: Write a scratch copy of the stack for a rehearsal
  tgops.stack.compose_scratch:
    project_src: /opt/sprint-bot
    project_name: sprint
    env_files: [.env]
    dest: /var/tmp/tgops-rehearsal-sprint
    env:
      TELEGRAM_API_BASE: http://127.0.0.1:9
  register: scratch

- name: Start the copy's database
  community.docker.docker_compose_v2:
    project_src: "{{ scratch.dest }}"
    project_name: "{{ scratch.project }}"
    files: ["{{ scratch.file }}"]
    services: [db]
    state: present
    wait: true

- name: Remove the copy
  tgops.stack.compose_scratch:
    project_src: /opt/sprint-bot
    project_name: sprint
    env_files: [.env]
    dest: /var/tmp/tgops-rehearsal-sprint
    state: absent
"""

RETURN = r"""
project:
  description: The scratch project's name.
  returned: always
  type: str
file:
  description: The scratch Compose file (0600; holds env values, never printed).
  returned: always
  type: str
dest:
  description: The scratch directory.
  returned: always
  type: str
summary:
  description:
    - What the copy changed - volumes and networks renamed, networks dropped, binds redirected, services whose ports were
      dropped, env keys overridden, read-only mounts added (O(mounts)). No value.
  returned: when O(state=present)
  type: dict
"""

import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule


from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.compose_scratch import scratch_model
from ansible_collections.tgops.stack.plugins.module_utils.failures import output_cause
from ansible_collections.tgops.stack.plugins.module_utils.files import atomic_write
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(
        scratch_name=dict(type='str'),
        dest=dict(type='path', required=True),
        env=dict(type='dict', default={}, no_log=True),
        keep_networks=dict(type='list', elements='str', default=[]),
        mounts=dict(type='list', elements='dict', default=[], options=dict(
            service=dict(type='str', required=True),
            source=dict(type='path', required=True),
            target=dict(type='str', required=True),
        )),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    dest = p['dest']
    path = os.path.join(dest, 'compose.json')
    try:
        project = ComposeProject(module)
    except StackError as exc:
        fail(module, exc)
    name = p['scratch_name'] or '%s-rehearsal' % project.name
    if name == project.name:
        module.fail_json(msg='scratch_name=%s is the production project itself; choose another name' % name)
    result = dict(changed=False, project=name, file=path, dest=dest)

    if p['state'] == 'absent':
        existing = project.client.containers.list(all=True, filters={'label': 'com.docker.compose.project=%s' % name})
        volumes = [v for v in project.volume_attrs if (v.get('Labels') or {}).get('com.docker.compose.project') == name]
        present = bool(existing or volumes or os.path.exists(dest))
        if present and not module.check_mode:
            args = ['compose', '-p', name]
            if os.path.exists(path):
                args += ['--project-directory', dest, '-f', path]
            cmd, rc, out, err = project.run_docker(args + ['down', '-v', '--remove-orphans', '-t', '5'])
            if rc != 0:
                module.fail_json(msg='removing the scratch project %s failed: %s' % (name, output_cause(err, out)), cmd=cmd, rc=rc, stderr=err, **result)
            for volume in volumes:
                try:
                    project.client.volumes.get(volume['Name']).remove(force=True)
                except Exception:  # pylint: disable=broad-except  # gone already with `down -v`
                    pass
            shutil.rmtree(dest, ignore_errors=True)
        result['changed'] = present
        module.exit_json(**result)

    try:
        model, summary = scratch_model(project.config, name, os.path.join(dest, 'binds'), p['env'], p['keep_networks'], p['mounts'])
    except ValueError as exc:
        module.fail_json(msg='%s; name a service of %s' % (exc, project.name), **result)
    data = json.dumps(model, indent=1, sort_keys=True).encode('utf-8')
    result['summary'] = summary
    try:
        with open(path, 'rb') as handle:
            same = handle.read() == data
    except OSError:
        same = False
    result['changed'] = not same
    if not same and not module.check_mode:
        try:
            os.makedirs(dest, 0o700, exist_ok=True)
            os.chmod(dest, 0o700)
            for bind in summary['binds_redirected']:
                os.makedirs(bind['scratch_source'], 0o755, exist_ok=True)
            for mount in summary['mounts_added']:
                os.makedirs(mount['source'], 0o700, exist_ok=True)
            atomic_write(path, data, 0o600)
        except OSError as exc:
            module.fail_json(msg='dest=%s: cannot write the scratch project (%s); choose a writable directory' % (dest, exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
