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
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs, tokenize
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError, utc_now

SAFE_UNQUOTED = re.compile(r'^[A-Za-z0-9_./:@%+,=-]*$')
BACKUP_RE = re.compile(r'^(?P<base>.+)\.(?P<stamp>\d{8}T\d{6}Z(?:-\d+)?)\.bak$')
GOOGLE_SA_FIELDS = ('type', 'project_id', 'private_key_id', 'private_key', 'client_email', 'token_uri')


class SecretError(Exception):
    """Bad input or a file that cannot be edited safely; the message never holds a value."""


def format_env_value(value):
    """A value written so that Compose v2 reads back exactly ``value`` (see dotenv.tokenize).

    Bare when it holds only safe characters; else single-quoted (literal in Compose: no escapes, no ``$``
    interpolation) unless it holds a single quote or ends with a backslash; else double-quoted with ``\\``,
    ``\"`` and ``$$``. Line breaks are refused.
    """
    value = str(value)
    if '\n' in value or '\r' in value:
        raise SecretError('a value contains a line break; env files keep one value per line')
    if SAFE_UNQUOTED.match(value):
        return value
    if "'" not in value and not value.endswith('\\'):
        return "'%s'" % value
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"').replace('$', '$$')


def env_set(text, updates, environ=None):
    """Set keys in dotenv text. Returns (new_text, changed_keys).

    Values are compared as Compose reads them (dotenv.tokenize), so a value already in place in any quoting is no
    change. The last assignment of a key is rewritten in place (keeping an ``export`` prefix, replacing all the
    lines of a multi-line value); earlier duplicates stay as they are, since Compose uses the last one. Missing
    keys are appended. Every written value is read back with the same tokenizer and must equal the one given.
    """
    statements = tokenize(text, environ)
    current = dict((stmt['key'], stmt['value']) for stmt in statements if stmt['valid'] and not stmt.get('inherited'))
    changed = sorted(key for key, value in updates.items() if current.get(key) != str(value))
    if not changed:
        return text, []
    lines = text.splitlines(True)
    last = {}
    for stmt in statements:
        if stmt['key'] in updates and not stmt.get('inherited'):
            last[stmt['key']] = stmt
    appended = []
    for key in sorted(changed, key=lambda k: -last[k]['line'] if k in last else 0):
        new = '%s=%s' % (key, format_env_value(updates[key]))
        if key in last:
            stmt = last[key]
            first, final = stmt['line'] - 1, stmt['end_line'] - 1
            ending = '\r\n' if lines[final].endswith('\r\n') else ('\n' if lines[final].endswith('\n') else '')
            lines[first:final + 1] = [('export ' if stmt['export'] else '') + new + ending]
        else:
            appended.append(new + '\n')
    if appended:
        if lines and not lines[-1].endswith('\n'):
            lines[-1] += '\n'
        lines.extend(sorted(appended))
    new_text = ''.join(lines)
    after = dict(dotenv_pairs(new_text, environ))
    wrong = sorted(key for key in updates if after.get(key) != str(updates[key]))
    if wrong:
        raise SecretError('the env file would not give %s back as written (an earlier line breaks the parse?); '
                          'fix the env file by hand' % ', '.join(wrong))
    return new_text, changed


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


def secret_file_text(path, old, content=None, content_format='raw', same_client_email=True, env=None, env_url_passwords=None):
    """What secret_file writes to ``path`` whose current text is ``old``: (new_text, changed_keys, client_email).

    With ``content``, the whole file (checked as a service-account key when ``content_format`` is
    ``google_service_account``; ``client_email`` is then its service account, else None); otherwise ``old`` with the
    keys of ``env`` set and the passwords of ``env_url_passwords`` set in the URLs of those keys. Raises StackError
    (``changed=False`` in its details) naming the path and key, never a value.
    """
    if content is not None:
        email = None
        if content_format == 'google_service_account':
            expected = None
            if same_client_email and old:
                _problems, expected = google_sa_problems(old)
            problems, email = google_sa_problems(content, expected)
            if problems:
                raise StackError('content is not a usable service-account key for %s: %s. Nothing was changed; fix the key '
                                 '(or set same_client_email=false to switch to another service account)'
                                 % (path, '; '.join(problems)), changed=False)
        return content, (['content'] if content != old else []), email
    updates = dict((k, str(v)) for k, v in (env or {}).items())
    current = dict(dotenv_pairs(old))
    for key, password in (env_url_passwords or {}).items():
        if key not in current:
            raise StackError('%s has no %s (env_url_passwords); add the URL first. Nothing was changed' % (path, key), changed=False)
        try:
            updates[key] = url_with_password(current[key], password)
        except SecretError as exc:
            raise StackError('%s in %s: %s. Nothing was changed' % (key, path, exc), changed=False) from None
    try:
        text, changed = env_set(old, updates)
    except SecretError as exc:
        raise StackError('%s: %s. Nothing was changed' % (path, exc), changed=False) from None
    return text, changed, None


def backup_path(path, stamp):
    """<path>.<YYYYMMDDTHHMMSSZ>.bak beside the file."""
    return '%s.%s.bak' % (path, stamp)


def free_backup_path(path, now=None, exists=os.path.exists):
    """The backup secret_file writes before changing ``path``: ``backup_path`` at ``now`` (UTC, default the clock).

    Two edits within one second keep both backups: a taken name (``exists``) gets ``-1``, ``-2``... after the stamp.
    """
    stamp = (now or utc_now()).strftime('%Y%m%dT%H%M%SZ')
    backup = backup_path(path, stamp)
    serial = 0
    while exists(backup):
        serial += 1
        backup = backup_path(path, '%s-%d' % (stamp, serial))
    return backup


def backups_to_prune(path, names, keep, protect=()):
    """Names (in the file's directory) of dated backups of path beyond the newest ``keep``.

    Names in ``protect`` (the backup this run just wrote: the rollback copy) are never returned, whatever ``keep``.
    """
    base = os.path.basename(path)
    protected = set(os.path.basename(n) for n in protect or () if n)
    ours = sorted((m.group('stamp'), name) for name in names
                  for m in [BACKUP_RE.match(name)] if m and m.group('base') == base)
    beyond = ours if keep <= 0 else ours[:-keep]
    return [name for _stamp, name in beyond if name not in protected]


def sql_literal(value):
    """A SQL string literal (standard_conforming_strings on: only quotes are doubled)."""
    if '\x00' in value:
        raise SecretError('the password contains a NUL character')
    return "'%s'" % value.replace("'", "''")


def sql_identifier(name):
    return '"%s"' % name.replace('"', '""')


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
