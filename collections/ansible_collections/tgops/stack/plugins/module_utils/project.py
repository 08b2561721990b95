# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Glue shared by the modules using the compose_project doc fragment: options, model and Docker state."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.tgops.stack.plugins.module_utils import docker_api
from ansible_collections.tgops.stack.plugins.module_utils.compose import (
    compose_base_args,
    docker_environ,
    resolve_paths,
    run_captured,
    run_compose_config,
)
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def compose_project_argument_spec():
    """argument_spec entries of the compose_project doc fragment."""
    return dict(
        project_src=dict(type='path', required=True),
        project_name=dict(type='str'),
        files=dict(type='list', elements='path'),
        env_files=dict(type='list', elements='path'),
        profiles=dict(type='list', elements='str'),
        docker_cli=dict(type='path', default='docker'),
        docker_host=dict(type='str'),
    )


def fail(module, error):
    """fail_json from a StackError, keeping cmd/rc/stdout/stderr when present."""
    module.fail_json(msg=error.msg, **error.details)


class ComposeProject:
    """The merged Compose model of one project plus what exists for it in Docker."""

    def __init__(self, module, params=None):
        """``params`` overrides module.params (a second model of the same project: other files or profiles)."""
        self.module = module
        params = params or module.params
        self.project_src, self.files, self.env_files = resolve_paths(params['project_src'], params['files'], params['env_files'])
        docker_cli = module.get_bin_path(params['docker_cli']) if params['docker_cli'] else None
        if not docker_cli:
            raise StackError('docker_cli=%s: executable not found on the managed host; install the Docker CLI with the Compose v2 plugin '
                             'or set docker_cli to its absolute path' % params['docker_cli'])
        self.docker_cli = docker_cli
        self.environ = docker_environ(params['docker_host'])
        self.base_args = compose_base_args(docker_cli, self.project_src, params['project_name'], self.files, self.env_files, params['profiles'])
        self.config, self.config_cmd = run_compose_config(run_captured, self.base_args, self.environ, self.files, self.env_files)
        self.name = self.config['name']
        if docker_api.docker is None:
            module.fail_json(msg=missing_required_lib('docker (Docker SDK for Python)'), exception=docker_api.DOCKER_IMPORT_ERROR)
        self.client = docker_api.connect(params['docker_host'])
        self.volume_attrs = docker_api.list_volume_attrs(self.client)
        self.container_attrs = docker_api.list_project_container_attrs(self.client, self.name)

    def run_docker(self, args):
        """Run the docker CLI with ``args``; return (cmd, rc, stdout, stderr)."""
        cmd = [self.docker_cli] + list(args)
        rc, stdout, stderr = run_captured(cmd, environ_update=self.environ)
        return cmd, rc, stdout, stderr
