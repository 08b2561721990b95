# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure helpers for rotating secrets: env file edits, URL passwords, key file checks, dated backups.

Nothing here returns a secret value: results carry key names, field names and problems only.
"""

from __future__ import annotations

import json
import os
import re

from ansible.module_utils.six.moves.urllib.parse import quote, unquote, urlsplit, urlunsplit
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import KEY_RE, dotenv_pairs

SAFE_UNQUOTED = re.compile(r'^[A-Za-z0-9_./:@%+,=-]*$')
BACKUP_RE = re.compile(r'^(?P<base>.+)\.(?P<stamp>\d{8}T\d{6}Z(?:-\d+)?)\.bak$')
GOOGLE_SA_FIELDS = ('type', 'project_id', 'private_key_id', 'private_key', 'client_email', 'token_uri')


class SecretError(Exception):
    """Bad input or a file that cannot be edited safely; the message never holds a value."""


def format_env_value(value):
    """A dotenv value as written back: bare when safe, else double-quoted with escapes."""
    value = str(value)
    if '\n' in value or '\r' in value:
        raise SecretError('a value contains a line break; env files keep one value per line')
    if SAFE_UNQUOTED.match(value):
        return value
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"').replace('$', '\\$')


def _raw(formatted):
    """What the dotenv parser reads back for a formatted value (the text between the quotes, escapes kept)."""
    return formatted[1:-1] if formatted.startswith('"') else formatted


def env_set(text, updates):
    """Set keys in dotenv text. Returns (new_text, changed_keys).

    The last assignment of a key is rewritten in place (keeping an ``export`` prefix); earlier duplicates stay as
    they are, since Compose uses the last one. Missing keys are appended. Lines that span several lines (multi-line
    quoted values) are refused for the keys being set.
    """
    current = dict(dotenv_pairs(text))
    changed = sorted(key for key, value in updates.items() if current.get(key) != _raw(format_env_value(value)))
    if not changed:
        return text, []
    lines = text.splitlines(True)
    last = {}
    for index, line in enumerate(lines):
        match = KEY_RE.match(line.strip())
        if match:
            last[match.group(1)] = index
    for key in changed:
        new = '%s=%s' % (key, format_env_value(updates[key]))
        if key in last:
            index = last[key]
            old = lines[index]
            value_part = KEY_RE.match(old.strip()).group(2).strip()
            if value_part[:1] in ('"', "'") and value_part.count(value_part[0]) < 2:
                raise SecretError('%s spans several lines in the env file; put it on one line first' % key)
            prefix = 'export ' if old.strip().startswith('export') and not old.strip().startswith(key) else ''
            ending = '\n' if old.endswith('\n') else ''
            lines[index] = prefix + new + ending
        else:
            if lines and not lines[-1].endswith('\n'):
                lines[-1] += '\n'
            lines.append(new + '\n')
    return ''.join(lines), changed


def url_with_password(url, password):
    """The URL with its password replaced (URL-quoted); raises SecretError when it has no user part."""
    parts = urlsplit(url)
    if not parts.username or '@' not in parts.netloc:
        raise SecretError('the URL has no user@host part, so no password can be set in it')
    host = parts.netloc.rsplit('@', 1)[1]
    netloc = '%s:%s@%s' % (quote(unquote(parts.username), safe=''), quote(str(password), safe=''), host)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def url_password(url):
    """The (unquoted) password of a URL, or None."""
    password = urlsplit(url).password
    return unquote(password) if password is not None else None


def password_problems(password, min_length=20):
    """Why a password is too weak (an empty list when it is fine)."""
    problems = []
    password = password or ''
    if len(password) < min_length:
        problems.append('shorter than %d characters' % min_length)
    classes = sum(bool(re.search(pattern, password)) for pattern in (r'[a-z]', r'[A-Z]', r'[0-9]'))
    if classes < 3:
        problems.append('needs lower case, upper case and digits')
    if re.search(r'\s', password):
        problems.append('contains white space')
    if re.search(r'(.)\1{3,}', password):
        problems.append('repeats one character 4 times or more')
    return problems


def google_sa_problems(content, expected_email=None):
    """(problems, client_email) of a service-account key file's text; never returns key material."""
    try:
        data = json.loads(content)
    except ValueError as exc:
        return ['not JSON (%s at line %s)' % (exc.__class__.__name__, getattr(exc, 'lineno', '?'))], None
    if not isinstance(data, dict):
        return ['not a JSON object'], None
    problems = ['missing field %s' % field for field in GOOGLE_SA_FIELDS if not data.get(field)]
    if data.get('type') and data.get('type') != 'service_account':
        problems.append('type is %r, not service_account' % data.get('type'))
    key = data.get('private_key') or ''
    if key and not ('-----BEGIN PRIVATE KEY-----' in key and '-----END PRIVATE KEY-----' in key):
        problems.append('private_key is not a PEM private key')
    email = data.get('client_email')
    if email and not re.match(r'^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$', email):
        problems.append('client_email %s is not a service-account address' % email)
    if expected_email and email and email != expected_email:
        problems.append('client_email %s differs from the current key\'s %s' % (email, expected_email))
    return problems, email


def backup_path(path, stamp):
    """<path>.<YYYYMMDDTHHMMSSZ>.bak beside the file."""
    return '%s.%s.bak' % (path, stamp)


def backups_to_prune(path, names, keep):
    """Names (in the file's directory) of dated backups of path beyond the newest ``keep``."""
    base = os.path.basename(path)
    ours = sorted((m.group('stamp'), name) for name in names
                  for m in [BACKUP_RE.match(name)] if m and m.group('base') == base)
    if keep <= 0:
        return [name for _stamp, name in ours]
    return [name for _stamp, name in ours[:-keep]]


def sql_literal(value):
    """A SQL string literal (standard_conforming_strings on: only quotes are doubled)."""
    if '\x00' in value:
        raise SecretError('the password contains a NUL character')
    return "'%s'" % value.replace("'", "''")


def sql_identifier(name):
    return '"%s"' % name.replace('"', '""')


def alter_password_sql(user, password):
    """The statement fed to psql on stdin (never on a command line, where ps and docker inspect would show it)."""
    return 'ALTER ROLE %s WITH PASSWORD %s;\n' % (sql_identifier(user), sql_literal(password))


def login_probe_cmd(docker_cli, container, user, database):
    """``docker exec -i`` running psql over TCP inside the container with the password read from stdin.

    The password goes through stdin into PGPASSWORD inside the container; it never appears in an argument list.
    """
    script = 'IFS= read -r PGPASSWORD; export PGPASSWORD; exec psql -X -w -h 127.0.0.1 -U "$1" -d "$2" -tAc "select 1"'
    return [docker_cli, 'exec', '-i', container, 'sh', '-c', script, 'sh', user, database]


def alter_cmd(docker_cli, container, user, database):
    """psql over the container's local socket (trusted, as in the official image), the statement on stdin."""
    return [docker_cli, 'exec', '-i', container, 'psql', '-X', '-w', '-q', '-v', 'ON_ERROR_STOP=1', '-U', user, '-d', database]


def login_failed_because_of_password(stderr):
    return 'password authentication failed' in (stderr or '') or 'no password supplied' in (stderr or '')


def strong_password(length=32, rng=None):
    """A random password of letters and digits (safe in URLs and env files) that passes password_problems."""
    import secrets as _secrets
    import string
    rng = rng or _secrets.SystemRandom()
    length = max(int(length), 20)
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = ''.join(rng.choice(alphabet) for _index in range(length))
        if not password_problems(candidate, min_length=20):
            return candidate
