"""Issue 12: production restores that fail tell the truth and leave production serving (real Docker, Postgres, SQLite).

Each test injects a real failure on the sandbox and asserts what the user sees (the run's message), what the journal
says, that nothing was lost, and that the stack serves again when the run ends.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from conftest import TODO, compose, playbook, run, sandbox_root, todo_copy

SPRINT_DB = "sprint-db-1"
SPRINT_BOT = "sprint-sprint-bot-1"
MARKER = "tgops-issue12-row-inserted-before-the-restore"
VIEW = "tgops_issue12_users_view"


def psql(sql: str, check=True):
    return run(["docker", "exec", SPRINT_DB, "psql", "-X", "-v", "ON_ERROR_STOP=1", "-U", "sprint", "-d", "sprint", "-tAc", sql],
               check=check)


def state(name: str) -> dict:
    data = json.loads(run(["docker", "inspect", name], check=True).stdout)[0]
    return {"id": data["Id"], "started_at": data["State"]["StartedAt"], "running": data["State"]["Running"],
            "health": (data["State"].get("Health") or {}).get("Status")}


def http_status(url: str) -> str:
    return run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url]).stdout.strip()


def journal_tail(stack: str, marker: str = "— Restore") -> str:
    text = (sandbox_root() / stack / "OPS_JOURNAL.md").read_text()
    return text[text.rfind(marker):] if marker in text else ""


def tasks_count() -> int:
    return int(json.loads(run(["curl", "-fsS", "http://127.0.0.1:8101/tasks/count"], check=True).stdout)["count"])


def production_restore(stack: str, local_dir: Path, **extra):
    return playbook("restore.yml", "-l", f"{stack}_stacks",
                    extra_vars={"restore_mode": "production", "restore_confirm": stack, "restore_source": "local",
                                "stack_backup_local_dir": str(local_dir), **extra})


@pytest.fixture(scope="module")
def sprint_backup(sandbox, tmp_path_factory):
    """A local backup of the sprint stack (no S3), taken before the failures are injected."""
    local = tmp_path_factory.mktemp("sprint-backups")
    res = playbook("backup.yml", "-l", "sprint_stacks", extra_vars={"backup_s3_enabled": False, "stack_backup_local_dir": str(local)})
    assert res.rc == 0, res
    return local


def test_postgres_restore_is_all_or_nothing_and_the_bot_serves_again(sprint_backup):
    bot_before = state(SPRINT_BOT)
    assert bot_before["running"]
    # Not in any backup: a view over users (pg_restore --clean cannot drop users) and a new row in quiet_queue.
    psql(f"CREATE VIEW {VIEW} AS SELECT * FROM users")
    psql(f"INSERT INTO quiet_queue (chat_id, text) VALUES (12, '{MARKER}')")
    try:
        started = time.time()
        res = production_restore("sprint", sprint_backup)
        assert res.rc != 0, res
        out = res.output
        # the real cause: pg_restore's own first error line, never "Unknown error"
        assert "cannot drop table public.users because other objects depend on it" in out, res
        assert "Unknown error" not in out
        safety = sorted(p for p in sprint_backup.glob("sprint-*.tar.*") if not p.name.endswith(".sha256"))[-1]
        assert f"The safety backup taken before is {safety}" in out, res
        assert "were started again as they were" in out, res
        # all or nothing: the row inserted before the restore is still there, the view too
        assert psql(f"SELECT count(*) FROM quiet_queue WHERE text = '{MARKER}'").stdout.strip() == "1"
        assert psql(f"SELECT count(*) FROM information_schema.views WHERE table_name = '{VIEW}'").stdout.strip() == "1"
        # the same bot container serves again (started, not recreated)
        bot_after = state(SPRINT_BOT)
        assert bot_after["id"] == bot_before["id"] and bot_after["running"], bot_after
        assert bot_after["started_at"] > bot_before["started_at"], "the bot was stopped for the restore and started again"
        assert http_status("http://127.0.0.1:8102/health") == "200"
        entry = journal_tail("sprint")
        assert "FAILED at 'Fail on pg_restore" in entry, entry
        assert "cannot drop table public.users" in entry and str(safety) in entry and "Unknown error" not in entry, entry
        assert time.time() - started < 300
    finally:
        psql(f"DROP VIEW IF EXISTS {VIEW}", check=False)
        psql(f"DELETE FROM quiet_queue WHERE text = '{MARKER}'", check=False)


def test_restore_with_a_drifted_db_definition_recreates_nothing(sprint_backup, sprint_dir):
    """Issue 12 section 3: the env file's POSTGRES_PASSWORD differs from the running db container's (as after a rotation).

    Stopping the writers used `compose up --no-start` underneath and recreated the drifted db container. Now exactly the
    writers' containers are stopped and started again: the db container keeps its Id and StartedAt.
    """
    env_file = sprint_dir / ".env"
    original = env_file.read_text()
    db_before, bot_before = state(SPRINT_DB), state(SPRINT_BOT)
    psql(f"INSERT INTO quiet_queue (chat_id, text) VALUES (12, '{MARKER}')")
    try:
        env_file.write_text("\n".join("POSTGRES_PASSWORD=DriftedNotInTheDatabase12" if line.startswith("POSTGRES_PASSWORD=") else line
                                      for line in original.splitlines()) + "\n")
        dry = compose(sprint_dir, "sprint", ["docker-compose.yml", "docker-compose.override.yml"], ".env", "up", "-d", "--dry-run")
        assert "Recreate" in dry.output, f"the drift must be real for this test to mean anything\n{dry}"
        res = production_restore("sprint", sprint_backup)
        assert res.rc == 0, res
        db_after, bot_after = state(SPRINT_DB), state(SPRINT_BOT)
        assert (db_after["id"], db_after["started_at"]) == (db_before["id"], db_before["started_at"]), "the db container was touched"
        assert bot_after["id"] == bot_before["id"], "the bot container was recreated instead of started again"
        assert bot_after["running"] and http_status("http://127.0.0.1:8102/health") == "200"
        # the restore really happened: the row inserted after the backup is gone
        assert psql(f"SELECT count(*) FROM quiet_queue WHERE text = '{MARKER}'").stdout.strip() == "0"
        assert "RESTORED into production" in journal_tail("sprint")
    finally:
        env_file.write_text(original)
        psql(f"DELETE FROM quiet_queue WHERE text = '{MARKER}'", check=False)


def test_sqlite_restore_that_cannot_write_the_volume_leaves_the_db_and_serves_again(sandbox, tmp_path):
    """The runtime DB's directory cannot be written (chattr +i: read-only even for root) when the DB is put in place."""
    local = tmp_path / "todo-backups"
    res = playbook("backup.yml", "-l", "todo_stacks", extra_vars={"backup_s3_enabled": False, "stack_backup_local_dir": str(local)})
    assert res.rc == 0, res
    time.sleep(3)  # the worker keeps writing: the live DB moves past the archive
    names = [f"{TODO['project']}-{svc}-1" for svc in ("worker", "api", "telegram-bot")]
    before = {n: state(n) for n in names}
    data_dir = run(["docker", "volume", "inspect", "-f", "{{.Mountpoint}}", f"{TODO['project']}_db_data"], check=True).stdout.strip()
    run(["chattr", "+i", data_dir], check=True)
    try:
        count_before = tasks_count()
        res = production_restore("todo", local)
        assert res.rc != 0, res
        out = res.output
        assert "Operation not permitted" in out and "the live DB was not touched" in out, res
        assert "Unknown error" not in out
        safety = sorted(p for p in local.glob("todo-*.tar.*") if not p.name.endswith(".sha256"))[-1]
        assert f"The safety backup taken before is {safety}" in out, res
        entry = journal_tail("todo")
        assert "FAILED at 'Put the restored DB in place" in entry and "Operation not permitted" in entry and str(safety) in entry, entry
    finally:
        run(["chattr", "-i", data_dir], check=True)
    for n in names:
        after = state(n)
        assert after["id"] == before[n]["id"] and after["running"], (n, after)
    assert http_status("http://127.0.0.1:8101/health") == "200"
    assert tasks_count() >= count_before, "the live DB must not have been replaced by the older archive"
    leftovers = [p.name for p in Path(data_dir).iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


def test_corrupt_live_sqlite_gets_a_raw_safety_copy_and_is_restored(sandbox, todo_dir, tmp_path):
    """A corrupt live DB must not block its own restore: the safety backup is a raw copy flagged unverified."""
    stack = todo_copy(todo_dir, tmp_path / "corrupt", 8192)
    files = TODO["files"]
    project = "tgopsrestorecorrupt"
    # A run killed before its cleanup may have left the project (and its corrupt volume): start from nothing.
    compose(stack, project, files, ".env.prod", "down", "-v", "--remove-orphans", check=False)
    local = tmp_path / "bk"
    common = {"stack_dir": str(stack), "stack_project": project, "stack_journal_path": str(tmp_path / "J.md"),
              "stack_backup_local_dir": str(local), "stack_s3_enabled": False, "stack_health_url": "http://127.0.0.1:8192/health"}
    try:
        compose(stack, project, files, ".env.prod", "up", "-d", "--wait", "api")
        res = playbook("backup.yml", "-l", "todo_stacks", extra_vars=common)
        assert res.rc == 0, res
        host = run(["docker", "volume", "inspect", "-f", "{{.Mountpoint}}", f"{project}_db_data"], check=True).stdout.strip()
        compose(stack, project, files, ".env.prod", "stop", "api")
        dbf = Path(host) / "organizer.db"
        for side in ("-wal", "-shm"):
            Path(str(dbf) + side).unlink(missing_ok=True)
        data = bytearray(dbf.read_bytes())
        page = int.from_bytes(data[16:18], "big") or 65536
        assert len(data) >= 2 * page, f"the DB must have data pages to corrupt ({len(data)} bytes)"
        for off in range(page, len(data)):  # every page but the first (the schema): the data is garbage
            data[off] = 0xA5
        dbf.write_bytes(bytes(data))
        compose(stack, project, files, ".env.prod", "start", "api", check=False)
        live_check = subprocess.run(["python3", "-c", "import sqlite3,sys; c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro&immutable=1', uri=True);"
                                     "print(c.execute('PRAGMA integrity_check').fetchone()[0])", str(dbf)],
                                    capture_output=True, text=True, check=False)
        assert live_check.stdout.strip() != "ok", "the live DB must really be corrupt for this test to mean anything"
        res = playbook("restore.yml", "-l", "todo_stacks",
                       extra_vars={**common, "restore_mode": "production", "restore_confirm": "todo", "restore_source": "local"})
        assert res.rc == 0, res
        assert "the DB was NOT verified (raw copy)" in " ".join(res.output.split()), res
        assert "DB not verified, raw copy: refused: integrity_check" in (tmp_path / "J.md").read_text()
        archives = sorted(p for p in local.glob("todo-*.tar.zst"))
        assert len(archives) == 2, archives
        manifest = json.loads(subprocess.run(["bash", "-c", f"zstd -dc {archives[-1]} | tar -xO manifest.json"], capture_output=True,
                                             text=True, check=True).stdout)
        assert manifest["metadata"]["db_verified"] is False and "refused" in manifest["metadata"]["db_problem"], manifest["metadata"]
        check = run(["docker", "exec", f"{project}-api-1", "python3", "-c",
                     "import sqlite3; print(sqlite3.connect('/data/organizer.db').execute('PRAGMA integrity_check').fetchone()[0])"])
        assert check.stdout.strip() == "ok", check
        assert http_status("http://127.0.0.1:8192/health") == "200"
    finally:
        compose(stack, project, files, ".env.prod", "down", "-v", "--remove-orphans", check=False)
