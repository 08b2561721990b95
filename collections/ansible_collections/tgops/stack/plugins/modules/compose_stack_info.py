#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: compose_stack_info
short_description: Inspect a Docker Compose v2 stack, its real volume names and its containers
version_added: 0.1.0
description:
  - Runs C(docker compose config --format json) for the project, so Compose itself resolves the project name, merges the files,
    interpolates variables and computes the real volume names.
  - Then asks the Docker daemon (Docker SDK for Python) which volumes and containers exist for the project, including stopped
    containers and volumes that look like part of the project but are not in the model (for example C(deploy_runtime_data)
    left beside C(deploy_db_data) by an older override).
  - Returns environment variable B(keys) only, never values.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
  - tgops.stack.attributes.INFO_MODULE
options:
  services:
    description:
      - Services that must exist in the model. The module fails, listing the known services, when one is missing.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Inspect the production stack
  tgops.stack.compose_stack_info:
    project_src: /opt/mytgtodoist
    project_name: deploy
    files:
      - docker-compose.yml
      - docker-compose.vps.override.yml
    env_files:
      - .env.prod
    services: [worker, api, telegram-bot]
  register: stack_info

- name: The DB volume key must map to deploy_db_data
  ansible.builtin.assert:
    that:
      - stack_info.stack.volumes.db_data.name == 'deploy_db_data'
      - stack_info.stack.volumes.db_data.exists
    fail_msg: "{{ stack_info.stack.warnings }}"

- name: Show volumes of the project that are not in the model
  ansible.builtin.debug:
    msg: "{{ stack_info.stack.related_volumes | map(attribute='name') }}"
"""

RETURN = r"""
stack:
  description: The Compose model of the project joined with what exists in Docker.
  returned: success
  type: dict
  contains:
    project_name:
      description: Project name as resolved by Compose.
      type: str
      sample: deploy
    project_src:
      description: Absolute project directory.
      type: str
      sample: /opt/mytgtodoist
    files:
      description: Absolute Compose files as given in O(files); empty when Compose picked its default files.
      type: list
      elements: str
      sample: [/opt/mytgtodoist/docker-compose.yml, /opt/mytgtodoist/docker-compose.vps.override.yml]
    env_files:
      description: Absolute env files as given in O(env_files).
      type: list
      elements: str
      sample: [/opt/mytgtodoist/.env.prod]
    config_sha256:
      description:
        - SHA-256 of the merged model (C(docker compose config --format json)) serialized as canonical JSON (sorted keys, no spaces).
        - Changes whenever a file, an override or an interpolated variable changes the effective configuration.
      type: str
      sample: 3c1f0f7d0c6a4b8e9e4b1fd1f0a7c2b0d1b0a9f5e6c7d8e9f0a1b2c3d4e5f6a7
    services:
      description: Services of the model, by name.
      type: dict
      sample:
        api:
          image: ghcr.io/example/todo:1.4.2
          environment_keys: [BOT_TOKEN, DB_PATH]
          volumes:
            - {type: volume, source: db_data, volume_name: deploy_db_data, target: /data, read_only: false}
            - {type: bind, source: /opt/mytgtodoist/canon, volume_name: null, target: /app/canon, read_only: true}
          healthcheck: true
          profiles: []
      contains:
        image:
          description: Image reference of the service.
          type: str
        environment_keys:
          description: Sorted environment variable names of the service (values are never returned).
          type: list
          elements: str
        volumes:
          description:
            - Mounts of the service. C(source) is the volume key for C(type=volume), the absolute host path for C(type=bind).
            - C(volume_name) is the real Docker volume name (C(null) for non-volume mounts).
          type: list
          elements: dict
        healthcheck:
          description: Whether the service has an enabled healthcheck.
          type: bool
        profiles:
          description: Profiles of the service.
          type: list
          elements: str
    volumes:
      description: Volume keys of the model.
      type: dict
      sample:
        db_data:
          name: deploy_db_data
          external: false
          exists: true
          driver: local
          mountpoint: /var/lib/docker/volumes/deploy_db_data/_data
          created: '2026-02-21T10:11:12Z'
          used_by: [{service: api, target: /data, read_only: false}, {service: worker, target: /data, read_only: false}]
          labels: {com.docker.compose.project: deploy, com.docker.compose.volume: db_data}
      contains:
        name:
          description: Real Docker volume name.
          type: str
        external:
          description: Whether the volume is external (not created by Compose).
          type: bool
        exists:
          description: Whether the volume exists in Docker.
          type: bool
        driver:
          description: Volume driver.
          type: str
        mountpoint:
          description: Host path of the volume data (C(null) when it does not exist).
          type: str
        created:
          description: Creation time reported by Docker.
          type: str
        used_by:
          description: Services mounting the volume, with target and read-only flag.
          type: list
          elements: dict
        labels:
          description: Labels of the Docker volume (of the model when the volume does not exist).
          type: dict
    containers:
      description: Containers of the project (label C(com.docker.compose.project)), stopped ones included.
      type: list
      elements: dict
      sample:
        - service: api
          name: deploy-api-1
          id: c5a363e5ea88...
          image: ghcr.io/example/todo:1.4.2
          image_id: sha256:26dbac4c87db...
          state: running
          health: healthy
          status: running (healthy)
          restart_count: 0
          started_at: '2026-02-21T10:11:13.48Z'
          mounts: [{type: volume, name: deploy_db_data, source: /var/lib/docker/volumes/deploy_db_data/_data, destination: /data, rw: true}]
    related_volumes:
      description:
        - Existing volumes that look like part of the project but are not in the model, with the reason.
        - C(reason) is V(project label but not in the compose model) or V(name prefix <project>_ but not in the compose model).
      type: list
      elements: dict
      sample:
        - name: deploy_runtime_data
          exists: true
          mountpoint: /var/lib/docker/volumes/deploy_runtime_data/_data
          reason: project label but not in the compose model
          labels: {com.docker.compose.project: deploy, com.docker.compose.volume: runtime_data}
    warnings:
      description:
        - Human-readable findings, for example a missing volume, a container mounting another volume than the model, an orphan
          container, containers created from other Compose files, related volumes.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.compose import check_services
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail
from ansible_collections.tgops.stack.plugins.module_utils.stack import build_stack


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(services=dict(type='list', elements='str'))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        project = ComposeProject(module)
        check_services(project.config, module.params['services'])
        stack = build_stack(project.config, project.project_src, project.files, project.env_files,
                            project.volume_attrs, project.container_attrs)
    except StackError as exc:
        fail(module, exc)
    else:
        module.exit_json(changed=False, stack=stack)


if __name__ == '__main__':
    main()
