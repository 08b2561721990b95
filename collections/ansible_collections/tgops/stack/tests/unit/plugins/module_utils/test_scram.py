# -*- coding: utf-8 -*-
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from ansible_collections.tgops.stack.plugins.module_utils.scram import saslprep, scram_keys, scram_sha256_verifier

# RFC 7677 section 3: user "user", password "pencil".
RFC_SALT = base64.b64decode('W22ZaJ0SNY7soEsUEjb6gQ==')
RFC_AUTH_MESSAGE = (b'n=user,r=rOprNGfwEbeRWgbNEkqO,'
                    b'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,'
                    b'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0')
RFC_PROOF = 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='
RFC_SERVER_SIGNATURE = '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='


def test_keys_reproduce_the_rfc_7677_exchange():
    client_key, stored_key, server_key = scram_keys('pencil', RFC_SALT, 4096)
    client_signature = hmac.new(stored_key, RFC_AUTH_MESSAGE, hashlib.sha256).digest()
    proof = bytes(client_key[i] ^ client_signature[i] for i in range(len(client_key)))
    assert base64.b64encode(proof).decode() == RFC_PROOF
    assert base64.b64encode(hmac.new(server_key, RFC_AUTH_MESSAGE, hashlib.sha256).digest()).decode() == RFC_SERVER_SIGNATURE


def test_verifier_has_the_postgres_format_and_never_the_password():
    verifier = scram_sha256_verifier('PLANTEDnewPgPassw0rd2026xyz')
    assert re.match(r'^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$', verifier), verifier
    assert 'PLANTED' not in verifier


def test_verifier_with_a_given_salt_is_stable_and_salts_differ_by_default():
    assert scram_sha256_verifier('x', salt=RFC_SALT) == scram_sha256_verifier('x', salt=RFC_SALT)
    assert scram_sha256_verifier('x') != scram_sha256_verifier('x')
    _c, stored, server = scram_keys('pencil', RFC_SALT)
    expected = 'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$%s:%s' % (base64.b64encode(stored).decode(), base64.b64encode(server).decode())
    assert scram_sha256_verifier('pencil', salt=RFC_SALT) == expected


def test_saslprep_as_postgres():
    assert saslprep('Abc$def"ghi\\jkl') == 'Abc$def"ghi\\jkl'  # ASCII untouched, control or not
    assert saslprep('I\u00adX') == 'IX'  # soft hyphen is mapped to nothing
    assert saslprep('a\u00a0b') == 'a b'  # non-ASCII space becomes a space
    assert saslprep('\u2168') == 'IX'  # NFKC
    assert saslprep('a\u0007\u00e9') == 'a\u0007\u00e9'  # prohibited control character: the raw password is used
