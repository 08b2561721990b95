# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SCRAM-SHA-256 password verifiers as Postgres stores them (``pg_authid.rolpassword``).

``ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`` stores a verifier as given, so the plain password never has to reach
the server: not its statement log, not ``log_min_error_statement`` when the statement fails, not
``pg_stat_activity``. The verifier is computed here exactly as Postgres does (RFC 5802/7677: PBKDF2-HMAC-SHA-256
over the SASLprep'ed password, StoredKey = H(HMAC(salted, "Client Key")), ServerKey = HMAC(salted, "Server Key")).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stringprep
import unicodedata

DEFAULT_ITERATIONS = 4096  # Postgres' scram_iterations default
SALT_BYTES = 16  # Postgres' SCRAM_DEFAULT_SALT_LEN


def saslprep(password):
    """The password as Postgres' pg_saslprep() sees it (RFC 4013), as a ``str``.

    Pure ASCII is used as it is. Otherwise: non-ASCII spaces map to a space, "commonly mapped to nothing"
    characters are dropped, then NFKC. A result with prohibited or badly mixed bidirectional characters is not an
    error for Postgres: it falls back to the raw password, and so does this function.
    """
    if all(ord(ch) < 128 for ch in password):
        return password
    mapped = ''.join(' ' if stringprep.in_table_c12(ch) else ch for ch in password if not stringprep.in_table_b1(ch))
    normal = unicodedata.normalize('NFKC', mapped)
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22, stringprep.in_table_c3,
                  stringprep.in_table_c4, stringprep.in_table_c5, stringprep.in_table_c6, stringprep.in_table_c7,
                  stringprep.in_table_c8, stringprep.in_table_c9, stringprep.in_table_a1)
    if not normal or any(check(ch) for ch in normal for check in prohibited):
        return password
    has_ral = any(stringprep.in_table_d1(ch) for ch in normal)
    if has_ral and (any(stringprep.in_table_d2(ch) for ch in normal)
                    or not (stringprep.in_table_d1(normal[0]) and stringprep.in_table_d1(normal[-1]))):
        return password
    return normal


def salted_password(password, salt, iterations=DEFAULT_ITERATIONS):
    return hashlib.pbkdf2_hmac('sha256', saslprep(password).encode('utf-8'), salt, iterations)


def scram_keys(password, salt, iterations=DEFAULT_ITERATIONS):
    """(client_key, stored_key, server_key) as bytes."""
    salted = salted_password(password, salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    return client_key, stored_key, server_key


def scram_sha256_verifier(password, salt=None, iterations=DEFAULT_ITERATIONS):
    """``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (base64), a fresh random salt by default."""
    if salt is None:
        salt = os.urandom(SALT_BYTES)
    _client_key, stored_key, server_key = scram_keys(password, salt, iterations)

    def b64(data):
        return base64.b64encode(data).decode('ascii')
    return 'SCRAM-SHA-256$%d:%s$%s:%s' % (iterations, b64(salt), b64(stored_key), b64(server_key))
