# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""preflight_info logic: the pre-flight's reads of one stack in one call.

The parts are the results of env_file_info, compose_stack_info, a free-space reading and db_location_info, read in
that order from one Compose model and one Docker listing. A part that refuses the run (required env keys missing, too
little free space) ends the reading there: what would be read after it is not read, and ``stopped_after`` names it.
The role's assertions turn the parts into refusals with their own messages, in the same order.

Two more parts serve the baseline snapshot, read last: ``revision`` (the git revision of the project directory and the
sha256 of each Compose file) and ``host`` (the operating system from ``/etc/os-release`` and the kernel release).
"""

from __future__ import annotations

import os

from ansible_collections.tgops.stack.plugins.module_utils.compose import check_services
from ansible_collections.tgops.stack.plugins.module_utils.db_location import db_location_argument_spec, locate_with_migration
from ansible_collections.tgops.stack.plugins.module_utils.env_file import env_file_report
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.revision import source_revision
from ansible_collections.tgops.stack.plugins.module_utils.stack import build_stack

MIB = 1024 * 1024


def argument_spec():
    """argument_spec of preflight_info beyond the compose_project options."""
    return dict(
        env=dict(type='dict', options=dict(
            path=dict(type='path', required=True),
            required_keys=dict(type='list', elements='str', default=[], no_log=False),
        )),
        inspect_stack=dict(type='bool', default=True),
        services=dict(type='list', elements='str', default=[]),
        min_free_mb=dict(type='int', default=0),
        db=dict(type='dict', options=db_location_argument_spec()),
        revision=dict(type='bool', default=False),
        host=dict(type='bool', default=False),
    )


def free_mb(path, statvfs=os.statvfs):
    """MiB available to an unprivileged user on the filesystem of ``path`` (what ``df --output=avail`` shows)."""
    try:
        info = statvfs(path)
    except OSError as exc:
        raise StackError('project_src=%s: cannot measure its free space: %s; check the path (stack_dir)' % (path, exc.strerror or exc)) from exc
    return info.f_bavail * info.f_frsize // MIB


def db_params(params):
    """db_location_info's parameters: the compose_project options of ``params`` with its ``db`` options."""
    out = dict((key, value) for key, value in params.items() if key not in ('env', 'inspect_stack', 'services', 'min_free_mb', 'db', 'revision', 'host'))
    out.update(params['db'])
    return out


def parse_os_release(text):
    """The KEY=VALUE pairs of an os-release file (os-release(5): shell-style quoting, comments, blank lines)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, value = line.split('=', 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1].replace('\\"', '"').replace('\\$', '$').replace('\\`', '`').replace('\\\\', '\\')
        out[key.strip()] = value
    return out


def host_facts(read=None, uname=os.uname):
    """{os, os_id, os_version_id, kernel} of the managed host: PRETTY_NAME of /etc/os-release (else NAME and VERSION,
    else 'unknown'), and the kernel release (as ``uname -r``)."""
    text = ''
    for path in ('/etc/os-release', '/usr/lib/os-release'):
        try:
            text = read(path) if read else _read_text(path)
            break
        except OSError:
            continue
    rel = parse_os_release(text)
    name = rel.get('PRETTY_NAME') or ' '.join(v for v in (rel.get('NAME'), rel.get('VERSION')) if v) or 'unknown'
    return {'os': name, 'os_id': rel.get('ID', ''), 'os_version_id': rel.get('VERSION_ID', ''), 'kernel': uname().release}


def _read_text(path):
    with open(path, encoding='utf-8', errors='replace') as handle:
        return handle.read()


def collect(params, project_factory, statvfs=os.statvfs, run=None):
    """The parts ``params`` asks for, in the pre-flight's order, from one model made by ``project_factory(params)``;
    ``run(argv) -> (rc, stdout, stderr)`` runs git for the ``revision`` part."""
    result = dict(stopped_after=None, parts=[])
    if params['env']:
        result['env'] = env_file_report(params['env']['path'], params['env']['required_keys'])
        result['parts'].append('env')
        if result['env']['missing_keys']:
            result['stopped_after'] = 'env'
            return result
    project = None
    if params['inspect_stack'] or params['db']:
        project = project_factory(params)
    if params['inspect_stack']:
        check_services(project.config, params['services'])
        result['stack'] = build_stack(project.config, project.project_src, project.files, project.env_files,
                                      project.volume_attrs, project.container_attrs)
        result['parts'].append('stack')
    if params['min_free_mb'] > 0:
        result['free_mb'] = free_mb(params['project_src'], statvfs)
        result['parts'].append('free_space')
        if result['free_mb'] < params['min_free_mb']:
            result['stopped_after'] = 'free_space'
            return result
    if params['db']:
        result.update(locate_with_migration(project, db_params(params), project_factory))
        result['parts'].append('db')
    if params.get('revision'):
        result['revision'] = source_revision(params['project_src'], params['files'], run)
        result['parts'].append('revision')
    if params.get('host'):
        result['host'] = host_facts()
        result['parts'].append('host')
    return result
