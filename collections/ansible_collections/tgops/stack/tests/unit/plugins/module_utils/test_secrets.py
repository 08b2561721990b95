# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime
import json
import os

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.secrets import (
    SecretError,
    backup_path,
    backups_to_prune,
    env_set,
    format_env_value,
    free_backup_path,
    google_sa_problems,
    password_problems,
    secret_file_text,
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


def test_secret_file_text_sets_env_keys_and_url_passwords():
    text, changed, email = secret_file_text('/srv/.env', ENV, env={'BOT_TOKEN': '222:new', 'PORT': 8080},
                                            env_url_passwords={'DB_URL': 'n3w/pw'})
    assert changed == ['BOT_TOKEN', 'DB_URL', 'PORT'] and email is None
    assert dict(dotenv_pairs(text)) == {'BOT_TOKEN': '222:new', 'DB_URL': 'postgresql://sprint:n3w%2Fpw@db:5432/sprint',
                                        'QUIET_HOURS': '23:00-07:00', 'PORT': '8080'}
    assert secret_file_text('/srv/.env', ENV, env={'QUIET_HOURS': '23:00-07:00'}) == (ENV, [], None)


def test_secret_file_text_errors_name_path_and_key_never_the_value():
    with pytest.raises(StackError) as info:
        secret_file_text('/srv/.env', ENV, env_url_passwords={'S3_URL': 'Secr3tValue'})
    assert info.value.msg == '/srv/.env has no S3_URL (env_url_passwords); add the URL first. Nothing was changed'
    assert info.value.details == {'changed': False}
    with pytest.raises(StackError) as info:
        secret_file_text('/srv/.env', ENV, env_url_passwords={'QUIET_HOURS': 'Secr3tValue'})
    assert info.value.msg == ('QUIET_HOURS in /srv/.env: the URL has no user@host part, so no password can be set in it. '
                              'Nothing was changed')
    with pytest.raises(StackError) as info:
        secret_file_text('/srv/.env', ENV, env={'BOT_TOKEN': 'Secr3t\nValue'})
    assert info.value.msg == '/srv/.env: a value contains a line break; env files keep one value per line. Nothing was changed'
    assert info.value.details == {'changed': False} and 'Secr3t' not in info.value.msg


def test_secret_file_text_whole_content_and_service_account_keys():
    assert secret_file_text('/srv/key.json', 'old', content='new') == ('new', ['content'], None)
    assert secret_file_text('/srv/key.json', 'same', content='same') == ('same', [], None)
    key = _sa(private_key_id='k2')
    assert secret_file_text('/srv/key.json', _sa(), content=key, content_format='google_service_account') == (
        key, ['content'], 'sprint-bot@sprint-prod.iam.gserviceaccount.com')
    other = _sa(client_email='other@sprint-prod.iam.gserviceaccount.com')
    with pytest.raises(StackError) as info:
        secret_file_text('/srv/key.json', _sa(), content=other, content_format='google_service_account')
    assert info.value.msg == (
        "content is not a usable service-account key for /srv/key.json: client_email other@sprint-prod.iam.gserviceaccount.com "
        "differs from the current key's sprint-bot@sprint-prod.iam.gserviceaccount.com. Nothing was changed; fix the key "
        "(or set same_client_email=false to switch to another service account)")
    assert info.value.details == {'changed': False}
    assert secret_file_text('/srv/key.json', _sa(), content=other, content_format='google_service_account',
                            same_client_email=False)[2] == 'other@sprint-prod.iam.gserviceaccount.com'
    # raw format: no check, no client_email even for a broken key
    assert secret_file_text('/srv/key.json', '', content='{not json') == ('{not json', ['content'], None)


def test_free_backup_path_keeps_both_backups_of_one_second():
    now = datetime.datetime(2026, 11, 24, 8, 0, 0, tzinfo=datetime.timezone.utc)
    taken = set()
    assert free_backup_path('/s/.env', now, taken.__contains__) == '/s/.env.20261124T080000Z.bak'
    taken.update(['/s/.env.20261124T080000Z.bak', '/s/.env.20261124T080000Z-1.bak'])
    assert free_backup_path('/s/.env', now, taken.__contains__) == '/s/.env.20261124T080000Z-2.bak'
    assert backups_to_prune('/s/.env', ['.env.20261124T080000Z.bak', '.env.20261124T080000Z-1.bak', '.env.20261124T080000Z-2.bak'],
                            1) == ['.env.20261124T080000Z.bak', '.env.20261124T080000Z-1.bak']


def test_free_backup_path_defaults_to_the_utc_clock(tmp_path):
    path = str(tmp_path / '.env')
    backup = free_backup_path(path)
    assert backup.startswith(path + '.') and backup.endswith('Z.bak') and not os.path.exists(backup)
