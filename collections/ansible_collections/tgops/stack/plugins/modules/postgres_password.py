#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_password
short_description: Make a Postgres role's password in a Compose stack match the one in the stack's env file
version_added: 0.1.0
description:
  - Reads the password from O(env_file) on the managed host (key O(password_variable), or the password inside the URL
    held by O(url_variable)) and proves a login with it B(the way the app connects) - from a throwaway container of
    the db image on the stack's Compose network, to the host, port, user and database of the URL in
    O(login_url_variable) (default the db service's name, port 5432). When that login works nothing changes. When the
    server refuses the password, it runs C(ALTER ROLE ... PASSWORD) through C(psql) on the db container's local
    socket and proves the network login works afterwards.
  - Why not a login inside the db container - the official C(postgres) image leaves initdb's default C(trust) auth
    for the local socket and for 127.0.0.1/::1 and only asks for a password on C(host all all all scram-sha-256);
    a probe over loopback in the db container succeeds with any password.
  - The database only receives the password's SCRAM-SHA-256 verifier, computed on the managed host; the plain
    value never reaches the server (not its log, not C(pg_stat_activity)). The password travels only on stdin into
    C(PGPASSWORD) of the probe container, never in an argument list, the result, an error or a log. Because the
    value comes from the env file, the same task applies a rotation (after the env file was edited) and its
    rollback (after the previous env file was put back).
  - Custom because M(community.postgresql.postgresql_user) needs a network path from the managed host to the database
    port, which Compose stacks usually do not publish, and sends the password in the statement;
    M(community.docker.docker_compose_v2_exec) cannot first prove whether the password already works, which
    idempotence needs.
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
  login_url_variable:
    description:
      - Key in O(env_file) of the URL the app connects with (such as C(DB_URL)); the login probe connects to its host,
        port, user and database over the Compose network.
      - Unset - the db service's name, port 5432, O(db_user) and O(db_name).
    type: str
  probe_image:
    description: Image of the throwaway probe container (needs C(psql) and C(sh)); default the db container's own image.
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
      - The login probe runs (a throwaway container that changes nothing); C(ALTER ROLE) does not, and
        RV(ignore:changed) says whether it would.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A password that already works reports no change.
"""

EXAMPLES = r"""
- name: Set the database password to the one now in the env file, proved the way the app logs in
  tgops.stack.postgres_password:
    project_src: /opt/sprint-bot
    env_files: [.env]
    service: db
    env_file: /opt/sprint-bot/.env
    password_variable: POSTGRES_PASSWORD
    login_url_variable: DB_URL
"""

RETURN = r"""
container:
  description: The db container the statement ran in.
  returned: always
  type: str
db_user:
  description: The role whose password was checked or set.
  returned: always
  type: str
login:
  description: Where the login was proved (host, port, user, database, source and the Compose network used).
  returned: always
  type: dict
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

from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.compose import check_services
from ansible_collections.tgops.stack.plugins.module_utils.db_location import container_name, postgres_credentials, running_container
from ansible_collections.tgops.stack.plugins.module_utils.postgres_password import (
    ensure_password, login_target, probe_network, read_password,
)
from ansible_collections.tgops.stack.plugins.module_utils.project import ComposeProject, compose_project_argument_spec, fail


def main():
    argument_spec = compose_project_argument_spec()
    argument_spec.update(
        service=dict(type='str', default='db'),
        env_file=dict(type='path', required=True),
        password_variable=dict(type='str', default='POSTGRES_PASSWORD', no_log=False),
        url_variable=dict(type='str'),
        login_url_variable=dict(type='str'),
        probe_image=dict(type='str'),
        db_user=dict(type='str'),
        db_name=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    try:
        password, url_user = read_password(p['env_file'], p['password_variable'], p['url_variable'])
    except StackError as exc:
        fail(module, exc)
    # Ansible masks this value in anything the module returns (psql errors may quote input).
    module.no_log_values.add(password)
    try:
        project = ComposeProject(module)
        check_services(project.config, [p['service']], 'service')
        container = running_container(project.container_attrs, p['service'])
        if container is None:
            raise StackError('service=%s: no running container in project %s; start it (docker compose up -d %s) or fix service'
                             % (p['service'], project.name, p['service']))
        user, database = postgres_credentials(container, project.config, p['service'], p['db_user'] or url_user, p['db_name'])
        # The statement runs as the image's superuser on the local socket (trusted), whichever role it changes.
        admin_user, admin_db = postgres_credentials(container, project.config, p['service'])
        target = login_target(p['env_file'], p['login_url_variable'], p['service'], user, database)
        target['network'] = probe_network(container, target['host'])
    except StackError as exc:
        fail(module, exc)
    name = container_name(container)
    image = p['probe_image'] or container.get('Image') or (container.get('Config') or {}).get('Image')
    result = dict(changed=False, container=name, db_user=target['user'], login=target)

    def run(cmd, data=None):
        return module.run_command(cmd, data=data, environ_update=project.environ)

    try:
        result.update(ensure_password(run, project.docker_cli, image, name, target, admin_user, admin_db, password,
                                      check_mode=module.check_mode))
    except StackError as exc:
        module.fail_json(msg=exc.msg, **dict(result, **exc.details))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
