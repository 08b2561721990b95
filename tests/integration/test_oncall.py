"""Issue 7: on-call runbooks on the real sandbox, each with its fault injected, plus the ansible-runner run."""
from __future__ import annotations

import datetime
import json
import threading
import time
import urllib.error
import urllib.request
from zoneinfo import ZoneInfo

import pytest
from conftest import PLANTED, REPO, S3_BUCKET, compose, playbook, run, s3_client, sandbox_root, scan_for_secrets

TODO_LIMIT = ["-l", "todo_stacks"]
SPRINT_LIMIT = ["-l", "sprint_stacks"]
TODO_FILES = ["docker-compose.yml", "docker-compose.vps.override.yml"]
SPRINT_FILES = ["docker-compose.yml", "docker-compose.override.yml"]


def oncall(*args, **extra):
    return playbook("oncall.yml", *args, extra_vars=extra or None)


def flat(text) -> str:
    """The output with line wrapping undone (the YAML callback folds long messages)."""
    return " ".join(text.split())


def recap_changed(res, host) -> int:
    line = next(line for line in res.stdout.splitlines() if line.startswith(host) and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def healthy(port) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def wait_for(predicate, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def last_incident(stack_dir) -> str:
    text = (stack_dir / "OPS_JOURNAL.md").read_text()
    start = text.rfind("<!-- tgops:begin id=incident-")
    assert start >= 0, "no incident entry in the journal"
    return text[start:text.find("<!-- tgops:end", start)]


def set_env(path, key, value):
    lines = [line for line in path.read_text().splitlines() if not line.startswith(key + "=")]
    path.write_text("\n".join(lines + [f"{key}={value}"]) + "\n")


def psql(sprint_dir, sql) -> str:
    return compose(sprint_dir, "sprint", SPRINT_FILES, ".env", "exec", "-T", "db", "sh", "-c",
                   f'psql -X -tA -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "{sql}"').stdout.strip()


@pytest.fixture(scope="module")
def stacks(sandbox, s3):
    """Both stacks healthy with a verified backup and latest in S3."""
    res = playbook("backup.yml")
    assert res.rc == 0, res
    return sandbox


def test_diagnose_on_a_healthy_stack_changes_nothing_and_says_so(stacks):
    before = {s: (stacks / s / "OPS_JOURNAL.md").read_text() for s in ("todo", "sprint")}
    res = oncall()
    assert res.rc == 0, res
    assert "healthy, nothing to do (no change made)" in flat(res.stdout), res
    assert recap_changed(res, "todo-sandbox") == 0 and recap_changed(res, "sprint-sandbox") == 0
    assert {s: (stacks / s / "OPS_JOURNAL.md").read_text() for s in ("todo", "sprint")} == before
    assert scan_for_secrets(texts=[res.output]) == []


def test_bot_stopped_is_restarted_and_answers_again(stacks):
    run(["docker", "stop", "deploy-telegram-bot-1"], check=True)
    res = oncall(*TODO_LIMIT, "--check", runbook="bot-not-responding")
    assert res.rc == 0, res
    state = run(["docker", "inspect", "-f", "{{.State.Status}}", "deploy-telegram-bot-1"], check=True).stdout.strip()
    assert state == "exited", "check mode restarted the bot"
    res = oncall(*TODO_LIMIT, runbook="bot-not-responding", incident_symptom="users say the bot is silent")
    assert res.rc == 0, res
    assert run(["docker", "inspect", "-f", "{{.State.Status}}", "deploy-telegram-bot-1"], check=True).stdout.strip() == "running"
    entry = last_incident(stacks / "todo")
    assert "users say the bot is silent" in entry and "Restarted telegram-bot" in entry and "Bot answers again" in entry
    assert "telegram-bot: exited" in entry


def test_second_poller_is_diagnosed_not_restarted(stacks):
    token = PLANTED["TGOPS_TODO_BOT_TOKEN"]
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:8081/bot{token}/getUpdates?timeout=1", timeout=5).read()
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        wait_for(lambda: "409" in run(["docker", "logs", "--tail", "50", "deploy-telegram-bot-1"]).output, 60, "a 409 in the bot log")
        started = run(["docker", "inspect", "-f", "{{.State.StartedAt}}", "deploy-telegram-bot-1"], check=True).stdout
        res = oncall(*TODO_LIMIT, runbook="bot-not-responding")
        assert res.rc == 0, res
        assert run(["docker", "inspect", "-f", "{{.State.StartedAt}}", "deploy-telegram-bot-1"], check=True).stdout == started
        entry = last_incident(stacks / "todo")
        assert "A second process polls getUpdates with the same token" in entry and "No restart" in entry
        assert "getUpdates conflict line(s)" in entry
    finally:
        stop.set()
        poller.join(timeout=10)


def test_quiet_hours_covering_now_holds_the_queue(stacks):
    sprint = stacks / "sprint"
    env_file = sprint / ".env"
    original = env_file.read_text()
    now = datetime.datetime.now(ZoneInfo("Europe/Kyiv"))
    start, end = now - datetime.timedelta(hours=1), now + datetime.timedelta(hours=1)
    try:
        set_env(env_file, "QUIET_HOURS", f"{start:%H:%M}-{end:%H:%M}")
        compose(sprint, "sprint", SPRINT_FILES, ".env", "up", "-d", "--force-recreate", "--no-deps", "sprint-bot")
        wait_for(lambda: healthy(8102), 90, "sprint health")
        psql(sprint, "INSERT INTO quiet_queue(chat_id, text) SELECT 1001, 'reminder ' || g FROM generate_series(1, 5) g")
        time.sleep(3)
        assert int(psql(sprint, "SELECT count(*) FROM quiet_queue WHERE sent_at IS NULL")) >= 5
        res = oncall(*SPRINT_LIMIT, runbook="notifications-stuck")
        assert res.rc == 0, res
        entry = last_incident(sprint)
        assert "held on purpose" in entry and f"delivery resumes at {end:%H:%M}" in entry, entry
        assert "None: the queue drains when the window ends" in entry
    finally:
        # With no window the held items go out. Not the original file yet: the sandbox's own QUIET_HOURS (23:00-07:00
        # Kyiv) covers now at night, and the queue would rightly stay held.
        try:
            set_env(env_file, "QUIET_HOURS", "")
            compose(sprint, "sprint", SPRINT_FILES, ".env", "up", "-d", "--force-recreate", "--no-deps", "sprint-bot")
            wait_for(lambda: healthy(8102), 90, "sprint health")
            wait_for(lambda: int(psql(sprint, "SELECT count(*) FROM quiet_queue WHERE sent_at IS NULL")) == 0, 60, "the queue to drain")
        finally:
            env_file.write_text(original)
            compose(sprint, "sprint", SPRINT_FILES, ".env", "up", "-d", "--force-recreate", "--no-deps", "sprint-bot")
            wait_for(lambda: healthy(8102), 90, "sprint health")


def test_split_volume_is_diagnosed_and_migrated_only_when_confirmed(stacks, tmp_path):
    todo = stacks / "todo"
    # The 2026-02-22 replica: an empty runtime DB (the app does not migrate itself) and migrations applied by the
    # `migrate` service into another volume.
    env_file = todo / ".env.prod"
    original = env_file.read_text()
    try:
        set_env(todo / ".env.prod", "AUTO_MIGRATE", "0")
        compose(todo, "deploy", TODO_FILES, ".env.prod", "down")
        run(["docker", "volume", "rm", "-f", "deploy_db_data", "deploy_runtime_data"], check=True)
        compose(todo, "deploy", TODO_FILES, ".env.prod", "up", "-d")
        compose(todo, "deploy", TODO_FILES + ["docker-compose.split-volume.yml"], ".env.prod", "run", "--rm", "migrate")
        wait_for(lambda: not healthy(8101), 30, "the api to report the missing table")
        split = tmp_path / "split.yml"
        split.write_text(json.dumps({"all": {"hosts": {"todo-sandbox": {
            "stack_migration_service": "migrate", "stack_migration_compose_files": ["docker-compose.split-volume.yml"]}}}}))
        inv = ["-i", str(REPO / "inventories" / "sandbox"), "-i", str(split), *TODO_LIMIT]
        ids = run(["docker", "ps", "-q", "--filter", "label=com.docker.compose.project=deploy"], check=True).stdout
        res = oncall(*inv, runbook="no-such-table")
        assert res.rc == 0, res
        entry = last_incident(todo)
        assert "Split volume" in entry and "deploy_db_data" in entry and "deploy_runtime_data" in entry, entry
        assert "DB copy in volume deploy_runtime_data" in entry and "incident_confirm=todo" in entry
        assert run(["docker", "ps", "-q", "--filter", "label=com.docker.compose.project=deploy"], check=True).stdout == ids
        assert not healthy(8101)
        res = oncall(*inv, runbook="no-such-table", incident_confirm="todo")
        assert res.rc == 0, res
        wait_for(lambda: healthy(8101), 60, "todo health after the migration")
        entry = last_incident(todo)
        assert "Applied the migrations in api (runtime volume deploy_db_data)" in entry and "health OK" in entry, entry
    finally:
        # Later tests copy this stack into throw-away projects: leave its env and volumes as the sandbox made them.
        env_file.write_text(original)
        compose(todo, "deploy", TODO_FILES, ".env.prod", "up", "-d", "--wait")
        run(["docker", "volume", "rm", "-f", "deploy_runtime_data"], check=True)


def test_lost_backup_restores_verification_and_a_fresh_latest(stacks):
    client = s3_client()
    latest = [o["Key"] for o in client.list_objects_v2(Bucket=S3_BUCKET, Prefix="todo/").get("Contents", []) if "/latest." in o["Key"]]
    if not latest:  # the split-volume test recreated the stack: take a backup so there is a latest to lose
        assert playbook("backup.yml", *TODO_LIMIT).rc == 0
        latest = [o["Key"] for o in client.list_objects_v2(Bucket=S3_BUCKET, Prefix="todo/").get("Contents", []) if "/latest." in o["Key"]]
    for key in latest:
        client.delete_object(Bucket=S3_BUCKET, Key=key)
    res = oncall(*TODO_LIMIT)
    assert res.rc == 0 and "Most likely runbook: lost-backup" in flat(res.stdout), res
    res = oncall(*TODO_LIMIT, runbook="lost-backup")
    assert res.rc == 0, res
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=S3_BUCKET, Prefix="todo/").get("Contents", [])]
    assert any("/latest." in k for k in keys)
    entry = last_incident(stacks / "todo")
    assert "No latest object in the store" in entry and "Verified the last archive" in entry and "Fresh backup" in entry


def test_ansible_runner_run_with_survey_vars_has_the_summary_in_its_artifacts(stacks, tmp_path):
    import ansible_runner

    r = ansible_runner.run(private_data_dir=str(tmp_path), project_dir=str(REPO), playbook=str(REPO / "playbooks" / "oncall.yml"),
                           inventory=str(REPO / "inventories" / "sandbox"), extravars={"runbook": "diagnose"}, limit="todo_stacks",
                           envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "TGOPS_SANDBOX_ROOT": str(sandbox_root())},
                           quiet=True)
    assert r.rc == 0, r.stdout.read()
    stats = [e for e in r.events if e.get("event") == "playbook_on_stats"]
    artifact = stats[-1]["event_data"].get("artifact_data", {})
    assert "todo-sandbox" in artifact.get("tgops_incident", {}), artifact
    assert artifact["tgops_incident"]["todo-sandbox"]["runbook"] == "diagnose"
    assert scan_for_secrets(tmp_path) == []
