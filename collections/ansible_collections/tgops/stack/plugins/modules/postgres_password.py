#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_password
short_description: Make a Postgres role's password inside a Compose service match the one in the stack's env file
version_added: 0.1.0
description:
  - Reads the password from O(env_file) on the managed host (key O(password_variable), or the password inside the URL
    held by O(url_variable)), then logs in over TCP inside the running container of O(service) with it. When the
    login works nothing changes; when the server rejects the password it runs C(ALTER ROLE ... WITH PASSWORD) through
    C(psql) on the container's local socket and proves the login works afterwards.
  - The password only ever travels on stdin (into C(psql) or into C(PGPASSWORD) inside the container), never in an
    argument list, the result, an error or a log. Because the value comes from the env file, the same task applies a
    rotation (after the env file was edited) and its rollback (after the previous env file was put back).
  - Custom because M(community.postgresql.postgresql_user) needs a network path from the managed host to the database
    port, which Compose stacks usually do not publish, and M(community.docker.docker_compose_v2_exec) cannot first
    prove whether the password already works, which idempotence needs.
author:
  - tgops maintainers (@tgops)
extends_documentation_fragment:
  - tgops.stack.compose_project
  - tgops.stack.attributes
options:
  service:
    description: The Compose service running Postgres.
    type: str
    default: db
  env_file:
    description: The env file holding the password (the stack's own env file).
    type: path
    required: true
  password_variable:
    description: Key of the password in O(env_file).
    type: str
    default: POSTGRES_PASSWORD
  url_variable:
    description: Take the password from the URL in this key instead (such as C(DB_URL)); its user is used when O(db_user) is not set.
    type: str
  db_user:
    description: The role whose password is set; default C(POSTGRES_USER) of the container, else V(postgres).
    type: str
  db_name:
    description: The database to connect to; default C(POSTGRES_DB) of the container, else the user name.
    type: str
attributes:
  check_mode:
    support: full
    details:
      - The login probe runs; C(ALTER ROLE) does not, and RV(ignore:changed) says whether it would.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A password that already works reports no change.
"""

EXAMPLES = r"""
- name: Set the database password to the one now in the env file
  tgops.stack.postgres_password:
    project_src: /opt/sprint-bot
    env_files: [.env]
    service: db
    env_file: /opt/sprint-bot/.env
    password_variable: POSTGRES_PASSWORD
"""

RETURN = r"""
container:
  description: The container the statements ran in.
  returned: always
  type: str
db_user:
  description: The role whose password was checked or set.
  returned: always
  type: str
login_ok_before:
  description: Whether the env file's password worked before any change.
  returned: always
  type: bool
login_ok_after:
  description: Whether it works at the end (equals RV(login_ok_before) when nothing was changed or in check mode).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import unquote, urlsplit

from ansible_collections.tgops.stack.plugins.module_utils.compose import StackError, check_services
from ansible_collections.tgops.stack.plugins.module_utils.db_location import container_name, postgres_credentials, running_container
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_pairs
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail
from ansible_collections.tgops.stack.plugins.module_utils.secrets import (
    alter_cmd, alter_password_sql, login_failed_because_of_password, login_probe_cmd, url_password,
)


def read_password(module):
    p = module.params
    try:
        pairs = dict(read_env_pairs(p['env_file']))
    except OSError as exc:
        module.fail_json(msg='env_file=%s cannot be read (%s); fix the path' % (p['env_file'], exc.__class__.__name__))
    if p['url_variable']:
        url = pairs.get(p['url_variable'])
        password = url_password(url) if url else None
        user = unquote(urlsplit(url).username or '') if url else ''
        if not password:
            module.fail_json(msg='env_file=%s: %s (url_variable) is missing or holds no password; fix the env file' % (p['env_file'], p['url_variable']))
        return password, user or None
    password = pairs.get(p['password_variable'])
    if not password:
        module.fail_json(msg='env_file=%s has no value for %s (password_variable); set it or fix password_variable'
                             % (p['env_file'], p['password_variable']))
    return password, None


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(
        service=dict(type='str', default='db'),
        env_file=dict(type='path', required=True),
        password_variable=dict(type='str', default='POSTGRES_PASSWORD', no_log=False),
        url_variable=dict(type='str'),
        db_user=dict(type='str'),
        db_name=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    password, url_user = read_password(module)
    # Ansible masks this value in anything the module returns (psql errors quote statements).
    module.no_log_values.add(password)
    try:
        project = ComposeProject(module)
        check_services(project.config, [p['service']], 'service')
        container = running_container(project.container_attrs, p['service'])
        if container is None:
            raise StackError('service=%s: no running container in project %s; start it (docker compose up -d %s) or fix service'
                             % (p['service'], project.name, p['service']))
    except StackError as exc:
        fail(module, exc)
    user, database = postgres_credentials(container, project.config, p['service'], p['db_user'] or url_user, p['db_name'])
    name = container_name(container)
    result = dict(changed=False, container=name, db_user=user)

    def probe():
        cmd = login_probe_cmd(project.docker_cli, name, user, database)
        rc, out, err = module.run_command(cmd, data=password, environ_update=project.environ)
        return cmd, rc, out, err

    cmd, rc, out, err = probe()
    if rc != 0 and not login_failed_because_of_password(err):
        module.fail_json(msg='the login probe in %s failed for another reason than the password; see stderr and fix the database first' % name,
                         cmd=cmd, rc=rc, stdout=out, stderr=err, **result)
    result.update(login_ok_before=rc == 0, login_ok_after=rc == 0)
    if rc == 0 or module.check_mode:
        result['changed'] = rc != 0
        module.exit_json(**result)

    cmd = alter_cmd(project.docker_cli, name, user, database)
    rc, out, err = module.run_command(cmd, data=alter_password_sql(user, password), environ_update=project.environ)
    if rc != 0:
        module.fail_json(msg='ALTER ROLE %s failed in %s; nothing was changed in the database' % (user, name),
                         cmd=cmd, rc=rc, stdout=out, stderr=err, **result)
    result['changed'] = True
    cmd, rc, out, err = probe()
    result['login_ok_after'] = rc == 0
    if rc != 0:
        module.fail_json(msg='the password was set for %s but the login with it still fails in %s' % (user, name),
                         cmd=cmd, rc=rc, stdout=out, stderr=err, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
