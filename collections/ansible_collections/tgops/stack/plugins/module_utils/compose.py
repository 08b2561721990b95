# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Docker Compose CLI access and pure functions on the merged model.

The model is whatever ``docker compose config --format json`` prints: Compose
resolves the project name, merges files, interpolates and names volumes.
Nothing here re-implements those rules; it only reads the result.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_values, redact, secret_values
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError


def resolve_paths(project_src, files=None, env_files=None):
    """Return ``(project_src, files, env_files)`` as absolute paths; raise StackError naming a missing one."""
    if not project_src:
        raise StackError('project_src is required: set it to the Compose project directory')
    src = os.path.abspath(os.path.expanduser(project_src))
    if not os.path.isdir(src):
        raise StackError('project_src=%s is not an existing directory; set project_src to the Compose project directory' % project_src)

    def _resolve(option, items, kind):
        result = []
        for item in items or []:
            full = os.path.normpath(os.path.join(src, os.path.expanduser(item)))
            if not os.path.isfile(full):
                raise StackError(
                    '%s: %s %s does not exist (resolved to %s, relative to project_src=%s); fix the %s option or create the file'
                    % (option, kind, item, full, src, option))
            result.append(full)
        return result

    return src, _resolve('files', files, 'Compose file'), _resolve('env_files', env_files, 'env file')


def compose_base_args(docker_cli, project_src, project_name=None, files=None, env_files=None, profiles=None):
    """The ``docker compose`` argv prefix selecting one project (everything before the sub-command)."""
    args = [docker_cli, 'compose', '--project-directory', project_src]
    if project_name:
        args.extend(['-p', project_name])
    for item in files or []:
        args.extend(['-f', item])
    for item in env_files or []:
        args.extend(['--env-file', item])
    for item in profiles or []:
        args.extend(['--profile', item])
    return args


def docker_environ(docker_host=None):
    """Environment overrides for docker CLI calls."""
    env = {'LC_ALL': 'C', 'LANG': 'C'}
    if docker_host:
        env['DOCKER_HOST'] = docker_host
    return env


def parse_config_output(stdout):
    """Parse the JSON printed by ``docker compose config --format json``."""
    try:
        config = json.loads(stdout)
    except ValueError as exc:
        # Never the output itself: it holds every env value, interpolated.
        raise StackError('docker compose config did not print valid JSON (%s at char %s of %d); is the Compose plugin v2.x?'
                         % (exc.__class__.__name__, getattr(exc, 'pos', '?'), len(stdout or ''))) from None
    if not isinstance(config, dict) or 'name' not in config:
        raise StackError('docker compose config printed JSON without a project name; is the Compose plugin v2.x?')
    config.setdefault('services', {})
    config.setdefault('volumes', {})
    return config


def yaml_error_of(path):
    """The YAML syntax error of one file, or None (also None when PyYAML is not installed)."""
    try:
        import yaml  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    try:
        with open(path, 'rb') as handle:
            yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        return ' '.join(str(exc).split())
    except OSError as exc:
        return str(exc)
    return None


def config_failure_message(rc, output, files):
    """Name the Compose file at fault when Compose's own message does not."""
    msg = 'docker compose config failed (rc=%s): %s' % (rc, output or 'no output')
    if any(os.path.basename(f) in (output or '') for f in files or []):
        return msg + '. Fix the file named above.'
    for path in files or []:
        error = yaml_error_of(path)
        if error:
            return msg + '. The Compose file %s (files option) is not valid YAML: %s. Fix that file.' % (path, error)
    if files:
        return msg + '. The files were: %s; check them with docker compose config.' % ', '.join(files)
    return msg


def run_captured(cmd, environ_update=None):
    """Run ``cmd`` (no stdin) and return (rc, stdout, stderr) as text, reading both pipes to the end.

    Same contract as AnsibleModule.run_command for the calls made here, but safe on threads and under load:
    run_command's select loop (1 s timeout) stops reading once the child has exited, so the output of a command
    that ends right after a timeout is lost (seen with 8 hosts on 2 cores: ``docker compose config`` rc 0, no stdout).
    """
    env = dict(os.environ)
    env.update(environ_update or {})
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, check=False)
    except OSError as exc:
        return 127, '', 'cannot run %s: %s' % (cmd[0], exc)
    return proc.returncode, proc.stdout.decode('utf-8', 'replace'), proc.stderr.decode('utf-8', 'replace')


def run_compose_config(run_command, base_args, environ=None, files=None, env_files=None):
    """Run ``docker compose ... config --format json`` with ``run_command`` (AnsibleModule.run_command) and parse it.

    The output holds every env value of the project, interpolated: it is parsed and dropped, never returned or put
    in an error. On failure only stderr is reported, with the values of ``env_files`` redacted (Compose quotes the
    offending text, e.g. an invalid ``${...}`` template inside a value).
    """
    cmd = list(base_args) + ['config', '--format', 'json']
    rc, stdout, stderr = run_command(cmd, environ_update=environ or {})
    if rc != 0:
        secrets = env_file_secrets(env_files)
        stderr = redact(stderr or '', secrets)
        raise StackError(config_failure_message(rc, stderr.strip() or ('no error output (stdout of %d characters not shown)' % len(stdout or '')), files),
                         cmd=cmd, rc=rc, stderr=stderr)
    return parse_config_output(stdout), cmd


def env_file_secrets(env_files):
    """Every value of the env files (as Compose reads them and as written), longest first; unreadable files skipped."""
    values = []
    for path in env_files or []:
        try:
            values.extend(read_env_values(path))
        except OSError:
            continue
    return secret_values(values)


def config_sha256(config):
    """sha256 of the canonical JSON (sorted keys, compact separators) of the merged model."""
    canonical = json.dumps(config, sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def volume_name_for(config, key):
    """The real Docker volume name of volume key ``key``, as computed by Compose."""
    return ((config.get('volumes') or {}).get(key) or {}).get('name')


def service_volumes(config, service):
    """Normalized volume entries of one service of the model."""
    result = []
    for entry in (config['services'].get(service) or {}).get('volumes') or []:
        vtype = entry.get('type', 'volume')
        source = entry.get('source')
        result.append({
            'type': vtype,
            'source': source,
            'volume_name': volume_name_for(config, source) if vtype == 'volume' and source else None,
            'target': entry.get('target'),
            'read_only': bool(entry.get('read_only', False)),
        })
    return result


def summarize_services(config):
    """Services of the model: image, env keys (never values), volumes, healthcheck, profiles."""
    services = {}
    for name, svc in sorted(config['services'].items()):
        svc = svc or {}
        healthcheck = svc.get('healthcheck') or {}
        services[name] = {
            'image': svc.get('image'),
            'environment_keys': sorted((svc.get('environment') or {}).keys()),
            'volumes': service_volumes(config, name),
            'healthcheck': bool(healthcheck) and not healthcheck.get('disable', False),
            'profiles': list(svc.get('profiles') or []),
        }
    return services


def volume_users(config):
    """Map volume key -> list of {service, target, read_only} of the services mounting it."""
    users = {}
    for name in sorted(config['services']):
        for vol in service_volumes(config, name):
            if vol['type'] == 'volume' and vol['source']:
                users.setdefault(vol['source'], []).append(
                    {'service': name, 'target': vol['target'], 'read_only': vol['read_only']})
    return users


def known_services_message(config):
    names = sorted(config['services'])
    return ', '.join(names) if names else '(none)'


def check_services(config, wanted, option='services'):
    """Raise StackError when a wanted service is not in the model."""
    missing = [name for name in wanted or [] if name not in config['services']]
    if missing:
        raise StackError(
            '%s: service(s) %s not in the Compose model of project %s; known services: %s (a service behind an inactive profile '
            'is not in the model, see the profiles option)' % (option, ', '.join(missing), config['name'], known_services_message(config)))
