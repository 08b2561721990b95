# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs
from ansible_collections.tgops.stack.plugins.module_utils.secrets import (
    SecretError,
    backup_path,
    backups_to_prune,
    env_set,
    format_env_value,
    google_sa_problems,
    password_problems,
    url_password,
    url_with_password,
)

ENV = 'BOT_TOKEN=111:old\n# comment stays\nexport DB_URL=postgresql://sprint:oldpw@db:5432/sprint\nQUIET_HOURS=23:00-07:00\n'


def test_env_set_rewrites_in_place_and_keeps_everything_else():
    text, changed = env_set(ENV, {'BOT_TOKEN': '222:new', 'S3_ACCESS_KEY': 'AKIANEW'})
    assert changed == ['BOT_TOKEN', 'S3_ACCESS_KEY']
    assert text.splitlines() == ['BOT_TOKEN=222:new', '# comment stays', 'export DB_URL=postgresql://sprint:oldpw@db:5432/sprint',
                                 'QUIET_HOURS=23:00-07:00', 'S3_ACCESS_KEY=AKIANEW']


def test_env_set_is_idempotent_also_for_quoted_values():
    text, _changed = env_set(ENV, {'S3_SECRET_KEY': 'a b"c$d'})
    again, changed = env_set(text, {'S3_SECRET_KEY': 'a b"c$d'})
    assert changed == [] and again == text


def test_env_set_rewrites_the_last_of_duplicates_and_refuses_line_breaks():
    text, changed = env_set('A=1\nA=2\n', {'A': '3'})
    assert text == 'A=1\nA=3\n' and changed == ['A']
    with pytest.raises(SecretError, match='line break'):
        env_set('A=1\n', {'A': 'x\ny'})
    # a multi-line value is replaced whole
    assert env_set('A="one\ntwo"\nB=1\n', {'A': 'z'}) == ('A=z\nB=1\n', ['A'])


def test_format_env_value():
    assert format_env_value('abc/+=') == 'abc/+='
    assert format_env_value('has space') == "'has space'"
    assert format_env_value('a$b') == "'a$b'"
    assert format_env_value('it\'s $x') == '"it\'s $$x"'
    assert format_env_value('ends\\') == '"ends\\\\"'
    assert format_env_value('q"\\$\'') == '"q\\"\\\\$$\'"'


@pytest.mark.parametrize('value', ['Abc$def"ghi\\jkl', "it's", 'a b # c', '$$', '${X:-y}', '\\', "'\\'", 'tab\there',
                                   '"', "'", 'x\\', '#start', ' lead', 'trail ', 'ünï', '\\n'])
def test_env_set_round_trips_every_value(value):
    text, changed = env_set('A=old\n', {'A': value}, environ={'X': 'from-env'})
    assert changed == ['A']
    assert dict(dotenv_pairs(text, {'X': 'from-env'}))['A'] == value
    assert env_set(text, {'A': value}, environ={'X': 'from-env'}) == (text, [])


def test_url_password_roundtrip():
    url = url_with_password('postgresql://sprint:oldpw@db:5432/sprint?sslmode=disable', 'n3w/P@ss')
    assert url == 'postgresql://sprint:n3w%2FP%40ss@db:5432/sprint?sslmode=disable'
    assert url_password(url) == 'n3w/P@ss'
    assert dict(dotenv_pairs('DB_URL=' + format_env_value(url)))['DB_URL'] == url
    with pytest.raises(SecretError, match='no user@host'):
        url_with_password('sqlite:////data/x.db', 'p')


def test_password_problems():
    assert password_problems('Abcdefghij1234567890xyz') == []
    assert 'shorter than 20 characters' in password_problems('Ab1')
    assert 'needs lower case, upper case and digits' in password_problems('a' * 10 + 'b' * 15)
    assert 'repeats one character 4 times or more' in password_problems('Aaaaa1234567890qwertyuiop')


def _sa(**over):
    data = {'type': 'service_account', 'project_id': 'sprint-prod', 'private_key_id': 'k1',
            'private_key': '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
            'client_email': 'sprint-bot@sprint-prod.iam.gserviceaccount.com', 'token_uri': 'https://oauth2.googleapis.com/token'}
    data.update(over)
    return json.dumps(data)


def test_google_sa_problems():
    assert google_sa_problems(_sa()) == ([], 'sprint-bot@sprint-prod.iam.gserviceaccount.com')
    problems, _email = google_sa_problems(_sa(private_key='', type='user'))
    assert problems == ['missing field private_key', "type is 'user', not service_account"]
    problems, _email = google_sa_problems(_sa(), expected_email='other@sprint-prod.iam.gserviceaccount.com')
    assert problems and 'differs' in problems[0]
    problems, email = google_sa_problems('{"type": "service_account",')
    assert problems[0].startswith('not JSON') and email is None
    # no key material in any problem text
    assert all('MIIB' not in p for p in google_sa_problems(_sa(private_key='MIIB garbage'))[0])


def test_backups_to_prune_keeps_the_newest():
    names = ['.env', '.env.20261101T000000Z.bak', '.env.20261103T000000Z.bak', '.env.20261102T000000Z.bak',
             '.env.prod.20261101T000000Z.bak', 'other']
    assert backups_to_prune('/s/.env', names, 2) == ['.env.20261101T000000Z.bak']
    assert backup_path('/s/.env', '20261124T080000Z') == '/s/.env.20261124T080000Z.bak'


def test_strong_password_passes_the_rules_and_varies():
    from ansible_collections.tgops.stack.plugins.module_utils.secrets import strong_password
    first, second = strong_password(32), strong_password(32)
    assert len(first) == 32 and password_problems(first) == [] and first != second
    assert len(strong_password(5)) == 20


def test_backups_to_prune_never_returns_the_rollback_copy():
    names = ['.env.20261101T000000Z.bak', '.env.20261102T000000Z.bak', '.env.20261103T000000Z.bak']
    # keep_backups=0 used to delete the backup the run had just written (the rollback copy)
    assert backups_to_prune('/s/.env', names, 0, protect=['/s/.env.20261103T000000Z.bak']) == [
        '.env.20261101T000000Z.bak', '.env.20261102T000000Z.bak']
    assert backups_to_prune('/s/.env', names, 1, protect=['/s/.env.20261101T000000Z.bak']) == ['.env.20261102T000000Z.bak']
    assert backups_to_prune('/s/.env', names, 0, protect=[None]) == names
