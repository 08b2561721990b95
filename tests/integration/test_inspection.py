"""Issue 2: the inspection modules and the DB location guard on the real sandbox."""
from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO, TODO, compose, module, playbook, run

SPLIT = {
    "stack_migration_service": "migrate",
    "stack_migration_compose_files": ["docker-compose.split-volume.yml"],
}


def _todo_args(todo_dir, **extra):
    args = {
        "project_src": str(todo_dir),
        "project_name": TODO["project"],
        "files": TODO["files"],
        "env_files": [TODO["env_file"]],
    }
    args.update(extra)
    return args


def _sqlite(volume: str, sql: str) -> str:
    """Query a SQLite DB inside a volume from a throw-away container (read-only open; WAL needs a writable dir)."""
    res = run(
        ["docker", "run", "--rm", "-v", f"{volume}:/data", "tgops-sandbox/base:bookworm",
         "sqlite3", "-readonly", "/data/organizer.db", sql],
        check=True,
    )
    return res.stdout.strip()


def test_stack_info_module_maps_volumes_of_todo(todo_dir):
    _, out = module("tgops.stack.compose_stack_info", _todo_args(todo_dir))
    assert not out.get("failed"), out
    assert out["changed"] is False
    stack = out["stack"]
    assert stack["project_name"] == "deploy"
    assert set(stack["services"]) >= {"worker", "api", "telegram-bot"}
    vol = stack["volumes"]["db_data"]
    assert vol["name"] == "deploy_db_data" and vol["exists"] is True
    assert {u["service"] for u in vol["used_by"]} >= {"worker", "api"}
    assert all(u["target"] == "/data" for u in vol["used_by"])
    running = {c["service"] for c in stack["containers"] if c["state"] == "running"}
    assert running >= {"worker", "api", "telegram-bot"}
    # the Compose CLI is the source of truth: compare with its own answer
    cfg = json.loads(compose(todo_dir, "deploy", TODO["files"], TODO["env_file"], "config", "--format", "json").stdout)
    assert cfg["volumes"]["db_data"]["name"] == vol["name"]
    assert stack["services"]["api"]["environment_keys"], "environment keys expected"


def test_db_location_of_todo_runtime(todo_dir):
    _, out = module(
        "tgops.stack.db_location_info",
        _todo_args(todo_dir, service="api", expected_volume="db_data", required_tables=["tasks"]),
    )
    assert not out.get("failed"), out
    db = out["db"]
    assert db["path"] == "/data/organizer.db"
    assert db["volume_name"] == "deploy_db_data"
    assert db["matches_expected"] is True
    assert db["exists"] is True and db["size_bytes"] > 0
    assert db["quick_check"] == "ok"
    assert "tasks" in db["tables"] and db["missing_tables"] == []
    assert "running" in db["source"]


def test_db_location_of_sprint_postgres(sprint_dir):
    _, out = module(
        "tgops.stack.db_location_info",
        {"project_src": str(sprint_dir), "project_name": "sprint", "env_files": [".env"],
         "service": "db", "engine": "postgres", "expected_volume": "pg_data"},
    )
    assert not out.get("failed"), out
    db = out["db"]
    assert db["volume_name"] == "sprint_pg_data"
    assert db["matches_expected"] is True


def test_env_file_info_returns_keys_never_values(todo_dir):
    env_path = todo_dir / ".env.prod"
    values = [line.split("=", 1)[1] for line in env_path.read_text().splitlines() if "=" in line and not line.startswith("#")]
    res, out = module("tgops.stack.env_file_info", {"path": str(env_path), "required_keys": ["DB_PATH", "BOT_TOKEN", "NOT_THERE"]})
    assert not out.get("failed"), out
    assert "BOT_TOKEN" in out["env"]["keys"]
    assert out["env"]["missing_keys"] == ["NOT_THERE"]
    assert out["env"]["mode"] == "0600"
    for v in values:
        if len(v) >= 8:
            assert v not in res.output, "an env value leaked into the module output"


def test_stack_info_playbook_reads_at_a_glance(todo_dir):
    res = playbook("stack-info.yml", "-l", "todo_stacks")
    assert res.rc == 0, res
    out = res.stdout
    assert "db_data -> deploy_db_data" in out
    assert "DB_PATH=/data/organizer.db" in out
    assert "DB location guard: OK" in out
    token = next(line for line in (todo_dir / ".env.prod").read_text().splitlines() if line.startswith("BOT_TOKEN="))
    assert token.split("=", 1)[1] not in res.output


def test_stack_info_playbook_on_sprint(sprint_dir):
    res = playbook("stack-info.yml", "-l", "sprint_stacks")
    assert res.rc == 0, res
    assert "pg_data -> sprint_pg_data" in res.stdout
    assert "DB location guard: OK" in res.stdout


def test_split_volume_replica_is_refused_and_db_untouched(todo_dir):
    files = TODO["files"] + ["docker-compose.split-volume.yml"]
    # Reproduce the 2026-02-22 incident for real: the migration service of the
    # replica writes its schema into deploy_runtime_data, not deploy_db_data.
    compose(todo_dir, "deploy", files, TODO["env_file"], "run", "--rm", "migrate")
    assert "tasks" in _sqlite("deploy_runtime_data", ".tables")
    before_runtime = _sqlite("deploy_db_data", "SELECT group_concat(version) FROM schema_migrations")
    before_split = run(["docker", "run", "--rm", "-v", "deploy_runtime_data:/data:ro", "tgops-sandbox/base:bookworm",
                        "sha256sum", "/data/organizer.db"], check=True).stdout

    res = playbook("stack-info.yml", "-l", "todo_stacks", extra_vars=SPLIT)
    assert res.rc != 0, res
    msg = res.output
    assert "DB location guard" in msg
    assert "deploy_db_data" in msg and "deploy_runtime_data" in msg
    assert "DB_PATH=/data/organizer.db" in msg
    assert "Nothing was changed" in msg
    # the related-but-unused volume is shown to the person reading the summary
    assert "deploy_runtime_data" in res.stdout.split("Related volumes the runtime does NOT use", 1)[1]

    assert _sqlite("deploy_db_data", "SELECT group_concat(version) FROM schema_migrations") == before_runtime
    after_split = run(["docker", "run", "--rm", "-v", "deploy_runtime_data:/data:ro", "tgops-sandbox/base:bookworm",
                       "sha256sum", "/data/organizer.db"], check=True).stdout
    assert after_split == before_split


def test_correct_stack_passes_the_guard_with_required_tables(todo_dir):
    res = playbook("stack-info.yml", "-l", "todo_stacks", extra_vars={"preflight_require_tables": True})
    assert res.rc == 0, res
    assert "DB location guard: OK" in res.stdout


# --- bad input: a clear error naming the problem, and no change ---------------------------------

def test_missing_env_file_is_refused(todo_dir):
    _, out = module("tgops.stack.env_file_info", {"path": str(todo_dir / ".env.nope")})
    assert out.get("failed")
    assert ".env.nope" in out["msg"]
    _, out = module("tgops.stack.compose_stack_info", _todo_args(todo_dir, env_files=[".env.nope"]))
    assert out.get("failed") and ".env.nope" in out["msg"] and "env_files" in out["msg"]


def test_unparsable_compose_file_is_refused(todo_dir, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(todo_dir, broken, ignore=shutil.ignore_patterns(".git"))
    (broken / "docker-compose.vps.override.yml").write_text("services:\n  api: [unclosed\n")
    _, out = module("tgops.stack.compose_stack_info", _todo_args(broken))
    assert out.get("failed"), out
    assert "docker-compose.vps.override.yml (files option) is not valid YAML" in out["msg"]
    assert out.get("cmd") and "rc" in out


def test_unknown_service_is_refused(todo_dir):
    _, out = module("tgops.stack.db_location_info", _todo_args(todo_dir, service="nosuch"))
    assert out.get("failed")
    assert "nosuch" in out["msg"] and "api" in out["msg"]
    _, out = module("tgops.stack.compose_stack_info", _todo_args(todo_dir, services=["api", "nosuch"]))
    assert out.get("failed") and "nosuch" in out["msg"]


def test_db_path_outside_every_mount_is_refused(todo_dir):
    _, out = module("tgops.stack.db_location_info", _todo_args(todo_dir, service="api", path="/var/lib/app/organizer.db"))
    assert out.get("failed")
    assert "/var/lib/app/organizer.db" in out["msg"] and "mount" in out["msg"]


def test_docker_daemon_not_running_is_refused(todo_dir, tmp_path):
    sock = f"unix://{tmp_path}/no-docker.sock"
    _, out = module("tgops.stack.compose_stack_info", _todo_args(todo_dir, docker_host=sock))
    assert out.get("failed")
    assert "not reachable" in out["msg"] or "Cannot connect" in out["msg"], out["msg"]
    _, out = module("tgops.stack.db_location_info", _todo_args(todo_dir, service="api", docker_host=sock))
    assert out.get("failed")


def test_bad_input_changed_nothing(todo_dir):
    # after all the refusals above the stack still runs and its DB is intact
    res = run(["curl", "-fsS", "http://127.0.0.1:8101/health"])
    assert res.rc == 0, res
    assert "tasks" in _sqlite("deploy_db_data", ".tables")


# --- module results against the real Compose CLI on several variants ----------------------------

VARIANTS = ["volume-name-override", "external-volume", "env-project-name", "override-remap"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_variants_match_compose_cli(docker_engine, variant, tmp_path):
    src = REPO / "sandbox" / "variants" / variant
    meta = json.loads((src / "variant.json").read_text())
    d = tmp_path / variant
    shutil.copytree(src, d)
    base = ["docker", "compose", "--project-directory", str(d)]
    if meta["pass_project"]:
        base += ["-p", meta["project"]]
    for f in meta["files"]:
        base += ["-f", str(d / f)]
    for e in meta.get("env_files", []):
        base += ["--env-file", str(d / e)]
    for pre in meta.get("pre_create_volumes", []):
        run(["docker", "volume", "create", pre], check=True)
    try:
        run(base + ["up", "-d"], check=True)
        cfg = json.loads(run(base + ["config", "--format", "json"], check=True).stdout)
        args = {"project_src": str(d), "files": meta["files"], "env_files": meta.get("env_files", [])}
        if meta["pass_project"]:
            args["project_name"] = meta["project"]
        _, out = module("tgops.stack.compose_stack_info", args)
        assert not out.get("failed"), out
        stack = out["stack"]
        assert stack["project_name"] == cfg["name"] == meta["project"]
        for key, vol in cfg.get("volumes", {}).items():
            assert stack["volumes"][key]["name"] == vol["name"]
            assert stack["volumes"][key]["exists"] is True
            assert stack["volumes"][key]["external"] == bool(vol.get("external"))
        for key, name in meta["expect_volumes"].items():
            assert stack["volumes"][key]["name"] == name
        assert "data_a" not in stack["volumes"], "a volume remapped away by an override is not part of the model"
        for svc, (key, target) in meta.get("expect_mounts", {}).items():
            mounts = [m for m in stack["services"][svc]["volumes"] if m["target"] == target]
            assert [m["source"] for m in mounts] == [key], mounts
            running = [c for c in stack["containers"] if c["service"] == svc]
            assert running and any(m.get("name") == stack["volumes"][key]["name"] for m in running[0]["mounts"])
    finally:
        run(base + ["down", "-v", "--remove-orphans"])
        for pre in meta.get("pre_create_volumes", []):
            run(["docker", "volume", "rm", "-f", pre])
