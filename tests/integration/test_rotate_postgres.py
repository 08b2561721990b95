"""Postgres password rotation against the official image's auth rules, on the real sandbox.

The sandbox db image initialises like the official `postgres` image: inside the db container the local socket and
127.0.0.1/::1 are `trust` (any password "works"); only `host all all all scram-sha-256` over the Compose network
checks one. These tests prove logins the way the app connects: from another container on the stack network to
`db:5432`.
"""
from __future__ import annotations

import json
import sys
import urllib.request

import pytest
from conftest import NO_REHEARSAL, PLANTED, REPO, compose, module, playbook, run

SPRINT = ["-l", "sprint_stacks"]
FILES = ["docker-compose.yml", "docker-compose.override.yml"]
OLD_PG_PASSWORD = PLANTED["TGOPS_SPRINT_POSTGRES_PASSWORD"]  # replaced by the password in place when this file starts
NEW_PG_PASSWORD = "PLANTEDrotPgPa$s\\w0rd\"2026Qz"  # quotes, $ and a backslash: env file, URL and SQL escaping
WRONG_PG_PASSWORD = "PLANTEDwrongPgPassw0rd99"
OUTPUTS: list[str] = []


def rotate(*args, extra_vars=None):
    res = playbook("rotate-secrets.yml", *SPRINT, "-vvv", *args, extra_vars=extra_vars)
    OUTPUTS.append(res.output)
    return res


def recap_changed(res) -> int:
    line = next(line for line in res.stdout.splitlines() if line.startswith("sprint-sandbox") and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def db_container() -> dict:
    cid = run(["docker", "ps", "-q", "--filter", "label=com.docker.compose.project=sprint",
               "--filter", "label=com.docker.compose.service=db"], check=True).stdout.split()[0]
    return json.loads(run(["docker", "inspect", cid], check=True).stdout)[0]


def network_login(password: str, user: str = "sprint", host: str = "db"):
    """psql from a throwaway container on the stack network, as the app connects; the password on stdin."""
    image = db_container()["Image"]
    script = 'IFS= read -r PGPASSWORD; export PGPASSWORD; exec psql -X -w -h "$1" -U "$2" -d sprint -tAc "select 1"'
    return run(["docker", "run", "--rm", "-i", "--network", "sprint_default", "--entrypoint", "sh", image, "-c", script, "sh",
                host, user], input=password + "\n")


def loopback_login_in_db(password: str):
    return run(["docker", "exec", "-i", "-e", "PGPASSWORD", db_container()["Name"].lstrip("/"),
                "psql", "-X", "-w", "-h", "127.0.0.1", "-U", "sprint", "-d", "sprint", "-tAc", "select 1"],
               env={"PGPASSWORD": password})


def healthy() -> bool:
    try:
        return urllib.request.urlopen("http://127.0.0.1:8102/health", timeout=5).status == 200
    except OSError:
        return False


def pending_recreations(sprint_dir) -> list[str]:
    res = compose(sprint_dir, "sprint", FILES, ".env", "up", "-d", "--dry-run")
    return [line for line in res.output.splitlines() if "Recreate" in line]


@pytest.fixture(scope="module")
def sprint(sandbox, s3):
    """The sprint stack; OLD_PG_PASSWORD is the password in place now (an earlier test file may have rotated it)."""
    global OLD_PG_PASSWORD
    sys.path.insert(0, str(REPO / "collections"))
    from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs

    OLD_PG_PASSWORD = dict(dotenv_pairs((sandbox / "sprint" / ".env").read_text(), {}))["POSTGRES_PASSWORD"]
    return sandbox / "sprint"


def test_sandbox_db_trusts_loopback_like_the_official_image(sprint):
    hba = run(["docker", "exec", db_container()["Name"].lstrip("/"), "sh", "-c", "grep -v '^#' \"$PGDATA/pg_hba.conf\""],
              check=True).stdout
    rules = [" ".join(line.split()) for line in hba.splitlines() if line.strip()]
    assert "local all all trust" in rules and "host all all 127.0.0.1/32 trust" in rules, rules
    assert rules[-1] == "host all all all scram-sha-256", rules
    # The trap of the old probe: inside the db container any password logs in over loopback ...
    assert loopback_login_in_db(WRONG_PG_PASSWORD).rc == 0
    # ... while over the Compose network only the real one does.
    assert network_login(OLD_PG_PASSWORD).rc == 0
    res = network_login(WRONG_PG_PASSWORD)
    assert res.rc != 0 and "password authentication failed" in res.stderr, res


def test_rotation_sets_the_password_the_app_uses(sprint):
    db_before = db_container()
    res = rotate(extra_vars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": NEW_PG_PASSWORD})
    assert res.rc == 0, res
    assert network_login(NEW_PG_PASSWORD).rc == 0, "the new password must log in over the network"
    old = network_login(OLD_PG_PASSWORD)
    assert old.rc != 0 and "password authentication failed" in old.stderr, old
    wrong = network_login(WRONG_PG_PASSWORD)
    assert wrong.rc != 0 and "password authentication failed" in wrong.stderr, wrong
    assert healthy()
    # the db container was recreated on purpose (journaled) and carries the env file's value: nothing drifts
    db_after = db_container()
    assert db_after["Id"] != db_before["Id"]
    assert pending_recreations(sprint) == []
    journal = (sprint / "OPS_JOURNAL.md").read_text()
    assert "app login over the Compose network OK" in journal and "container was recreated" in journal
    # the stored verifier is SCRAM, set from the verifier we sent
    stored = run(["docker", "exec", db_after["Name"].lstrip("/"), "psql", "-X", "-U", "sprint", "-d", "sprint", "-tAc",
                  "select left(rolpassword, 14) from pg_authid where rolname = 'sprint'"], check=True).stdout.strip()
    assert stored == "SCRAM-SHA-256$"


def test_second_run_changes_nothing(sprint):
    db_before = db_container()["Id"]
    res = rotate(extra_vars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": NEW_PG_PASSWORD})
    assert res.rc == 0 and recap_changed(res) == 0, res
    assert db_container()["Id"] == db_before


def test_check_mode_changes_nothing(sprint):
    env_before = (sprint / ".env").read_bytes()
    db_before = db_container()["Id"]
    res = rotate("--check", extra_vars={"rotate_secrets_kinds": "postgres_password",
                                        "rotate_secrets_postgres_password": "PLANTEDcheckOnlyPassw0rd42"})
    assert res.rc == 0, res
    assert (sprint / ".env").read_bytes() == env_before and db_container()["Id"] == db_before
    assert network_login(NEW_PG_PASSWORD).rc == 0


def test_a_failing_status_command_rolls_the_rotation_back_with_its_error_line(sprint):
    """The app's Alembic status after the rotation is judged: a failing command is a failed rotation."""
    res = rotate(extra_vars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": "PLANTEDstatusFailPassw0rd51",
                             "stack_migration_status_command": ["alembic", "nosuchcommand"]})
    assert res.rc != 0 and "rolled back" in res.output and "invalid choice" in res.output, res
    assert network_login(NEW_PG_PASSWORD).rc == 0, "the previous password is back in the database"
    assert network_login("PLANTEDstatusFailPassw0rd51").rc != 0
    assert healthy() and pending_recreations(sprint) == []
    assert "Rotation of DB_URL, POSTGRES_PASSWORD on sprint rolled back" in (sprint / "OPS_JOURNAL.md").read_text()


def test_after_a_rotation_restore_and_deploy_do_not_restart_the_db(sprint):
    """Rotate, then restore production, then deploy: the db container is never recreated by surprise."""
    db = db_container()
    assert pending_recreations(sprint) == []
    res = playbook("backup.yml", "-l", "sprint_stacks")
    OUTPUTS.append(res.output)
    assert res.rc == 0, res
    res = playbook("restore.yml", "-l", "sprint_stacks", extra_vars={"restore_mode": "production", "restore_confirm": "sprint"})
    OUTPUTS.append(res.output)
    assert res.rc == 0, res
    assert "RESTORED into production" in (sprint / "OPS_JOURNAL.md").read_text()
    after_restore = db_container()
    assert (after_restore["Id"], after_restore["State"]["StartedAt"]) == (db["Id"], db["State"]["StartedAt"])
    assert pending_recreations(sprint) == [] and healthy()
    assert network_login(NEW_PG_PASSWORD).rc == 0, "the restore must not bring an old password back"
    res = playbook("deploy.yml", "-l", "sprint_stacks", extra_vars={"deploy_version": "v2", **NO_REHEARSAL})
    OUTPUTS.append(res.output)
    assert res.rc == 0, res
    after_deploy = db_container()
    assert (after_deploy["Id"], after_deploy["State"]["StartedAt"]) == (db["Id"], db["State"]["StartedAt"])
    assert pending_recreations(sprint) == [] and healthy()


def test_a_failing_alter_role_logs_the_verifier_not_the_password(sprint, tmp_path):
    """Postgres logs a failing statement with its text: what it logs must be the SCRAM verifier, never the password."""
    secret = "PLANTEDnoRolePassw0rd77"
    env = tmp_path / "pw.env"
    env.write_text(f"POSTGRES_PASSWORD={secret}\n")
    env.chmod(0o600)
    res, out = module("tgops.stack.postgres_password", {
        "project_src": str(sprint), "files": FILES, "env_files": [".env"], "service": "db",
        "env_file": str(env), "db_user": "no_such_role"})
    OUTPUTS.append(res.output)
    assert out.get("failed") and "ALTER ROLE no_such_role failed" in out["msg"], out
    assert 'role "no_such_role" does not exist' in out["msg"], out
    logs = run(["docker", "logs", db_container()["Name"].lstrip("/")]).output
    assert "STATEMENT:  ALTER ROLE \"no_such_role\" WITH PASSWORD 'SCRAM-SHA-256$4096:" in logs, logs[-2000:]
    OUTPUTS.append(logs)


def test_no_password_in_any_output_log_or_journal(sprint):
    values = [OLD_PG_PASSWORD, NEW_PG_PASSWORD, WRONG_PG_PASSWORD, "PLANTEDnoRolePassw0rd77", "PLANTEDcheckOnlyPassw0rd42",
              "PLANTEDstatusFailPassw0rd51"]
    assert len(OUTPUTS) >= 5
    texts = OUTPUTS + [run(["docker", "logs", db_container()["Name"].lstrip("/")]).output]
    hits = [f"output #{i}: {v[:12]}" for i, text in enumerate(texts) for v in values if v in text]
    journal = (sprint / "OPS_JOURNAL.md").read_text() + "".join(p.read_text() for p in sprint.glob("OPS_JOURNAL*.jsonl"))
    hits += [f"journal: {v[:12]}" for v in values if v in journal]
    assert hits == [], hits
