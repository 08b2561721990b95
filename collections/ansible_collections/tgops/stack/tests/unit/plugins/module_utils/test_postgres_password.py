# -*- coding: utf-8 -*-
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from ansible_collections.tgops.stack.plugins.module_utils.errors import StackError
from ansible_collections.tgops.stack.plugins.module_utils.postgres_password import (
    alter_cmd,
    alter_verifier_sql,
    ensure_password,
    login_refused,
    login_target,
    network_login_cmd,
    probe_network,
    read_password,
)
from ansible_collections.tgops.stack.plugins.module_utils.scram import scram_keys

PASSWORD = 'PLANTEDnewPgPassw0rd2026xyz'

# NetworkSettings.Networks of the sandbox sprint db container as Docker 20.10 reports it (recorded).
DB_CONTAINER = {
    'Name': '/sprint-db-1',
    'Image': 'sha256:0f3c',
    'NetworkSettings': {'Networks': {
        'sprint_default': {'Aliases': ['sprint-db-1', 'db', '8b2c0e6f8d1a'], 'IPAddress': '172.20.0.2'},
    }},
}


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / '.env'
    path.write_text('POSTGRES_USER=sprint\nPOSTGRES_PASSWORD=%s\nDB_URL=postgresql://sprint:%s@db:5433/sprintdb\nBAD_URL=postgresql:///x\n'
                    % (PASSWORD, PASSWORD))
    return str(path)


def test_read_password_from_the_variable_or_the_url(env_file):
    assert read_password(env_file, 'POSTGRES_PASSWORD') == (PASSWORD, None)
    assert read_password(env_file, 'POSTGRES_PASSWORD', 'DB_URL') == (PASSWORD, 'sprint')


def test_read_password_errors_name_the_option_never_the_value(env_file, tmp_path):
    with pytest.raises(StackError) as exc:
        read_password(env_file, 'MISSING')
    assert 'MISSING (password_variable)' in exc.value.msg and PASSWORD not in exc.value.msg
    with pytest.raises(StackError) as exc:
        read_password(str(tmp_path / 'nope'), 'POSTGRES_PASSWORD')
    assert 'cannot be read' in exc.value.msg


def test_login_target_follows_the_app_url(env_file):
    target = login_target(env_file, 'DB_URL', 'db', 'postgres', 'postgres')
    assert (target['host'], target['port'], target['user'], target['database']) == ('db', 5433, 'sprint', 'sprintdb')
    assert PASSWORD not in str(target)
    plain = login_target(env_file, None, 'db', 'sprint', 'sprint')
    assert (plain['host'], plain['port']) == ('db', 5432)
    with pytest.raises(StackError) as exc:
        login_target(env_file, 'BAD_URL', 'db', 'sprint', 'sprint')
    assert 'has no host' in exc.value.msg
    with pytest.raises(StackError):
        login_target(env_file, 'NOPE', 'db', 'sprint', 'sprint')


def test_probe_network_is_the_one_where_the_host_names_the_db():
    two = {'Name': '/x', 'NetworkSettings': {'Networks': {
        'a_backend': {'Aliases': ['x']}, 'b_front': {'Aliases': ['db']}, 'bridge': {}}}}
    assert probe_network(DB_CONTAINER, 'db') == 'sprint_default'
    assert probe_network(two, 'db') == 'b_front'
    assert probe_network(two, 'elsewhere') == 'a_backend'
    with pytest.raises(StackError) as exc:
        probe_network({'Name': '/y', 'NetworkSettings': {'Networks': {'bridge': {}}}}, 'db')
    assert 'no user-defined network' in exc.value.msg


def test_commands_carry_no_password():
    target = {'host': 'db', 'port': 5432, 'user': 'sprint', 'database': 'sprint'}
    cmd = network_login_cmd('docker', 'sha256:0f3c', 'sprint_default', target)
    assert cmd[:3] == ['docker', 'run', '--rm'] and '--network' in cmd and 'sprint_default' in cmd
    assert '127.0.0.1' not in ' '.join(cmd) and PASSWORD not in ' '.join(cmd)
    assert alter_cmd('docker', 'sprint-db-1', 'sprint', 'sprint')[:4] == ['docker', 'exec', '-i', 'sprint-db-1']


def test_alter_sends_the_verifier_not_the_password():
    salt = b'0123456789abcdef'
    sql = alter_verifier_sql('spr"int', PASSWORD, salt=salt)
    assert PASSWORD not in sql
    assert sql.startswith('ALTER ROLE "spr""int" WITH PASSWORD \'SCRAM-SHA-256$4096:')
    verifier = sql.split("'")[1]
    salt_b64, keys = verifier.split('$')[1].split(':')[1], verifier.split('$')[2]
    assert base64.b64decode(salt_b64) == salt
    _client, stored, server = scram_keys(PASSWORD, salt)
    assert keys == '%s:%s' % (base64.b64encode(stored).decode(), base64.b64encode(server).decode())
    # a client proving PASSWORD produces a proof the stored key accepts
    client_key = hmac.new(hashlib.pbkdf2_hmac('sha256', PASSWORD.encode(), salt, 4096), b'Client Key', hashlib.sha256).digest()
    assert hashlib.sha256(client_key).digest() == stored


def test_login_refused_only_for_password_errors():
    # recorded: psql 15 from a container on the sprint network against the official image's rules
    assert login_refused('psql: error: connection to server at "db" (172.20.0.2), port 5432 failed: '
                         'FATAL:  password authentication failed for user "sprint"')
    assert not login_refused('psql: error: could not translate host name "db" to address: Name or service not known')
    assert not login_refused('psql: error: connection to server at "db" (172.20.0.2), port 5432 failed: '
                             'FATAL:  database "nope" does not exist')


REFUSED = 'psql: error: connection to server at "db" (172.20.0.2), port 5432 failed: FATAL:  password authentication failed for user "sprint"'
TARGET = {'host': 'db', 'port': 5433, 'user': 'sprint', 'database': 'sprintdb', 'source': 'DB_URL (db:5433)', 'network': 'sprint_default'}


class FakeRun:
    """Plays the recorded (rc, out, err) answers in turn and records every (cmd, stdin)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, cmd, data=None):
        self.calls.append((list(cmd), data))
        return self.answers.pop(0)


def ensure(run, check_mode=False):
    return ensure_password(run, 'docker', 'sha256:0f3c', 'sprint-db-1', TARGET, 'postgres', 'postgres', PASSWORD, check_mode=check_mode)


def assert_no_secret(run, *texts):
    for cmd, _data in run.calls:
        assert PASSWORD not in ' '.join(cmd)
    for text in texts:
        assert PASSWORD not in str(text)


def test_ensure_password_changes_nothing_when_the_login_works():
    run = FakeRun((0, '1\n', ''))
    assert ensure(run) == {'changed': False, 'login_ok_before': True, 'login_ok_after': True}
    assert len(run.calls) == 1
    cmd, data = run.calls[0]
    assert cmd == network_login_cmd('docker', 'sha256:0f3c', 'sprint_default', TARGET) and data == PASSWORD
    assert_no_secret(run)


def test_ensure_password_sets_the_verifier_and_proves_the_login_again():
    run = FakeRun((2, '', REFUSED), (0, '', ''), (0, '1\n', ''))
    assert ensure(run) == {'changed': True, 'login_ok_before': False, 'login_ok_after': True}
    (probe, probe_in), (alter, alter_in), (again, again_in) = run.calls
    assert probe == again == network_login_cmd('docker', 'sha256:0f3c', 'sprint_default', TARGET)
    assert probe_in == again_in == PASSWORD
    assert alter == alter_cmd('docker', 'sprint-db-1', 'postgres', 'postgres')
    assert alter_in.startswith('ALTER ROLE "sprint" WITH PASSWORD \'SCRAM-SHA-256$4096:') and PASSWORD not in alter_in
    assert_no_secret(run)


def test_ensure_password_in_check_mode_only_probes():
    run = FakeRun((2, '', REFUSED))
    assert ensure(run, check_mode=True) == {'changed': True, 'login_ok_before': False, 'login_ok_after': False}
    assert len(run.calls) == 1


def test_ensure_password_probe_failing_for_another_reason():
    err = 'psql: error: could not translate host name "db" to address: Name or service not known'
    run = FakeRun((2, '', err))
    with pytest.raises(StackError) as exc:
        ensure(run)
    assert exc.value.msg == ('the login probe to db:5433 (DB_URL (db:5433)) over network sprint_default failed for another reason '
                             'than the password: psql: error: could not translate host name "db" to address: Name or service not known')
    assert exc.value.details == {'cmd': run.calls[0][0], 'rc': 2, 'stdout': '', 'stderr': err}
    assert len(run.calls) == 1
    assert_no_secret(run, exc.value.msg, exc.value.details)


def test_ensure_password_alter_failing():
    run = FakeRun((2, '', REFUSED), (1, '', 'ERROR:  role "sprint" does not exist'))
    with pytest.raises(StackError) as exc:
        ensure(run)
    assert exc.value.msg.startswith('ALTER ROLE sprint failed in sprint-db-1, nothing was changed in the database: ')
    assert 'role "sprint" does not exist' in exc.value.msg
    assert exc.value.details['cmd'] == alter_cmd('docker', 'sprint-db-1', 'postgres', 'postgres') and exc.value.details['rc'] == 1
    assert (exc.value.details['changed'], exc.value.details['login_ok_before'], exc.value.details['login_ok_after']) == (False, False, False)
    assert len(run.calls) == 2
    assert_no_secret(run, exc.value.msg, exc.value.details)


def test_ensure_password_login_still_refused_after_the_change():
    run = FakeRun((2, '', REFUSED), (0, '', ''), (2, '', REFUSED))
    with pytest.raises(StackError) as exc:
        ensure(run)
    assert exc.value.msg.startswith('the password was set for sprint but the login with it to db:5433 still fails: ')
    assert (exc.value.details['changed'], exc.value.details['login_ok_before'], exc.value.details['login_ok_after']) == (True, False, False)
    assert exc.value.details['cmd'] == network_login_cmd('docker', 'sha256:0f3c', 'sprint_default', TARGET)
    assert_no_secret(run, exc.value.msg, exc.value.details)
