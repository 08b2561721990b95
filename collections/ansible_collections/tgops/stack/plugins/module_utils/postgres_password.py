# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Logic of the postgres_password module: read the password, prove a login the way the app connects, set it.

Why the login is proved from another container: the official ``postgres`` image leaves initdb's default auth in
place, ``trust`` for the local socket and for 127.0.0.1/::1, and only appends ``host all all all scram-sha-256``.
Inside the db container any password "works" over loopback. The app connects over the Compose network to the host
and port in its URL (``db:5432``), where the password is checked; so the probe runs in a throwaway container of the
db image on that network and connects to that host and port.

The password itself never travels in an argument list: it goes on stdin into ``PGPASSWORD`` of the probe, and the
database only ever receives its SCRAM-SHA-256 verifier (``ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'``), so a
failing statement logged by the server holds no password.
"""

from __future__ import annotations

from ansible.module_utils.six.moves.urllib.parse import unquote, urlsplit
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import read_env_pairs
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.failures import output_cause
from ansible_collections.tgops.stack.plugins.module_utils.scram import scram_sha256_verifier
from ansible_collections.tgops.stack.plugins.module_utils.secrets import sql_identifier, sql_literal, url_password

PROBE_LABEL = 'tgops.scratch=pg-login-probe'
# What psql/libpq print when the server refused the password (not: host unreachable, DB missing, server down).
PASSWORD_REFUSED = ('password authentication failed', 'no password supplied', 'SCRAM authentication',
                    'authentication method requirement')


def read_password(env_file, password_variable, url_variable=None):
    """(password, url_user) from the env file; raises StackError naming the option to fix (never the value)."""
    try:
        pairs = dict(read_env_pairs(env_file))
    except OSError as exc:
        raise StackError('env_file=%s cannot be read (%s); fix the path' % (env_file, exc.__class__.__name__)) from None
    if url_variable:
        url = pairs.get(url_variable)
        password = url_password(url) if url else None
        if not password:
            raise StackError('env_file=%s: %s (url_variable) is missing or holds no password; fix the env file' % (env_file, url_variable))
        return password, unquote(urlsplit(url).username or '') or None
    password = pairs.get(password_variable)
    if not password:
        raise StackError('env_file=%s has no value for %s (password_variable); set it or fix password_variable' % (env_file, password_variable))
    return password, None


def login_target(env_file, login_url_variable, service, user, database):
    """Where the app connects: host, port, user and database of the URL in ``login_url_variable``.

    Without a URL: the db service's name on port 5432 with ``user``/``database``. Raises StackError for a URL
    without a host.
    """
    if not login_url_variable:
        return dict(host=service, port=5432, user=user, database=database, source='service %s' % service)
    try:
        url = dict(read_env_pairs(env_file)).get(login_url_variable)
    except OSError as exc:
        raise StackError('env_file=%s cannot be read (%s); fix the path' % (env_file, exc.__class__.__name__)) from None
    if not url:
        raise StackError('env_file=%s has no %s (login_url_variable); set it or fix login_url_variable' % (env_file, login_url_variable))
    parts = urlsplit(url)
    if not parts.hostname:
        raise StackError('%s in env_file=%s has no host; it must look like postgresql://user:password@host:5432/db' % (login_url_variable, env_file))
    try:
        port = parts.port or 5432
    except ValueError:
        raise StackError('%s in env_file=%s has a port that is not a number; fix the URL' % (login_url_variable, env_file)) from None
    path_db = unquote(parts.path.lstrip('/').split('/')[0]) if parts.path else ''
    return dict(host=parts.hostname, port=port, user=unquote(parts.username or '') or user, database=path_db or database,
                source='%s (%s:%s)' % (login_url_variable, parts.hostname, port))


def probe_network(container, host):
    """The network of the db ``container`` on which ``host`` names it (Compose aliases), else its first network.

    Raises StackError when the container is on no network another container could join.
    """
    networks = ((container.get('NetworkSettings') or {}).get('Networks') or {})
    usable = sorted(name for name in networks if name not in ('host', 'none', 'bridge'))
    for name in usable:
        aliases = networks[name].get('Aliases') or []
        dns = networks[name].get('DNSNames') or []
        if host in aliases or host in dns:
            return name
    if usable:
        return usable[0]
    name = (container.get('Name') or '').lstrip('/')
    raise StackError('the db container %s is on no user-defined network (networks: %s); the login cannot be proved the way '
                     'the app connects. Attach the db service to the stack network' % (name, ', '.join(sorted(networks)) or 'none'))


def network_login_cmd(docker_cli, image, network, target):
    """A throwaway container of the db image on the stack network running psql against the app's host and port.

    The password is read from stdin into PGPASSWORD; it appears in no argument and no container config.
    """
    script = 'IFS= read -r PGPASSWORD; export PGPASSWORD; exec psql -X -w -h "$1" -p "$2" -U "$3" -d "$4" -tAc "select 1"'
    return [docker_cli, 'run', '--rm', '-i', '--network', network, '--label', PROBE_LABEL, '--log-driver', 'none',
            '--entrypoint', 'sh', image, '-c', script, 'sh', target['host'], str(target['port']), target['user'], target['database']]


def alter_cmd(docker_cli, container, user, database):
    """psql on the db container's local socket (trusted, as in the official image), the statement on stdin."""
    return [docker_cli, 'exec', '-i', container, 'psql', '-X', '-w', '-q', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', database]


def alter_verifier_sql(user, password, salt=None):
    """``ALTER ROLE`` with the SCRAM-SHA-256 verifier of ``password``: the plain value never reaches the server."""
    return 'ALTER ROLE %s WITH PASSWORD %s;\n' % (sql_identifier(user), sql_literal(scram_sha256_verifier(password, salt=salt)))


def login_refused(stderr):
    """Whether psql's error says the server refused the password (as opposed to any other failure)."""
    return any(marker in (stderr or '') for marker in PASSWORD_REFUSED)


def ensure_password(run, docker_cli, image, container, target, admin_user, admin_db, password, check_mode=False):
    """Prove the login to ``target`` with ``password``; when the server refuses it, set it and prove the login again.

    ``run(cmd, data=None) -> (rc, out, err)`` runs a command with ``data`` on stdin (the module passes a wrapper over
    ``module.run_command``). The password goes only on the probe's stdin; ``ALTER ROLE`` (as ``admin_user`` on
    ``admin_db`` through the local socket of ``container``) carries its SCRAM-SHA-256 verifier. ``check_mode``
    stops after the first probe. Returns ``changed``, ``login_ok_before`` and ``login_ok_after``. Raises StackError
    with ``cmd``, ``rc``, ``stdout``, ``stderr`` and the result keys known so far in its details (the caller keeps the
    password in ``no_log_values``: psql errors may quote input).
    """
    def probe():
        cmd = network_login_cmd(docker_cli, image, target['network'], target)
        rc, out, err = run(cmd, data=password)
        return cmd, rc, out, err

    cmd, rc, out, err = probe()
    if rc != 0 and not login_refused(err):
        raise StackError('the login probe to %s:%s (%s) over network %s failed for another reason than the password: %s'
                         % (target['host'], target['port'], target['source'], target['network'], output_cause(err, out) or 'no output'),
                         cmd=cmd, rc=rc, stdout=out, stderr=err)
    result = dict(changed=False, login_ok_before=rc == 0, login_ok_after=rc == 0)
    if rc == 0 or check_mode:
        result['changed'] = rc != 0
        return result

    cmd = alter_cmd(docker_cli, container, admin_user, admin_db)
    rc, out, err = run(cmd, data=alter_verifier_sql(target['user'], password))
    if rc != 0:
        raise StackError('ALTER ROLE %s failed in %s, nothing was changed in the database: %s'
                         % (target['user'], container, output_cause(err, out) or 'no output'),
                         cmd=cmd, rc=rc, stdout=out, stderr=err, **result)
    result['changed'] = True
    cmd, rc, out, err = probe()
    result['login_ok_after'] = rc == 0
    if rc != 0:
        raise StackError('the password was set for %s but the login with it to %s:%s still fails: %s'
                         % (target['user'], target['host'], target['port'], output_cause(err, out) or 'no output'),
                         cmd=cmd, rc=rc, stdout=out, stderr=err, **result)
    return result
