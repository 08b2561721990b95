"""Issue 12: backup failure paths on the real sandbox - SIGKILL mid-archive, "verified means verified", restore
verification of Postgres by row counts, and the rollback copy of secret_file.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import REPO, VENV_BIN, _env, module, playbook, run, sandbox_root

BIG = "tgops-issue12-big.bin"


def archives(directory: Path, stack: str) -> list[Path]:
    return sorted(p for p in directory.glob(f"{stack}-*.tar.*") if not p.name.endswith(".sha256"))


def manifest_of(archive: Path) -> dict:
    decomp = "zstd -dc" if archive.name.endswith(".zst") else "gzip -dc"
    out = subprocess.run(["bash", "-o", "pipefail", "-c", f"{decomp} {archive} | tar -xO manifest.json"], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def test_backup_killed_mid_archive_leaves_nothing_the_next_run_does_not_clean(sandbox, todo_dir, tmp_path):
    local = tmp_path / "bk"
    big = todo_dir / BIG
    with open(big, "wb") as handle:  # incompressible, so the archive step takes a moment
        for _ in range(384):
            handle.write(os.urandom(1 << 20))
    cmd = [str(VENV_BIN / "ansible-playbook"), str(REPO / "playbooks" / "backup.yml"), "-l", "todo_stacks", "-e",
           json.dumps({"backup_s3_enabled": False, "stack_backup_local_dir": str(local), "backup_file_sets": [BIG]})]
    try:
        proc = subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        partial = None
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            found = [p for p in local.glob(".todo-*.partial")] if local.is_dir() else []
            if found and found[0].stat().st_size > (8 << 20):
                partial = found[0]
                break
            time.sleep(0.02)
        assert partial is not None, "the backup never reached the archive step (or finished before it could be killed)"
        # The whole run at once, as an OOM kill or a cancelled job: ansible-playbook and every descendant (the module
        # runs in a session of its own, so the process group is not enough), zstd included.
        for pid in [proc.pid, *descendants(proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=30)
        time.sleep(1)
        assert partial.exists(), "the killed run's temp archive is the leftover this test is about"
        assert not list(local.glob("*.sha256")) and archives(local, "todo") == [], "a killed run must not leave a named archive"
        stagings = list(local.glob(".staging-*"))
        assert stagings, "the killed run's staging dir (a DB copy) is left behind"
    finally:
        big.unlink(missing_ok=True)
    # The next daily run (12 h later at most: backup_stale_staging_age) cleans everything the killed run left.
    half_a_day_ago = time.time() - 13 * 3600
    for staging in stagings:
        os.utime(staging, (half_a_day_ago, half_a_day_ago))
    # The killed run also left its stack lock: the next run names it STALE at once (no waiting) and needs it broken.
    res = playbook("backup.yml", "-l", "todo_stacks", extra_vars={"backup_s3_enabled": False, "stack_backup_local_dir": str(local)})
    assert res.rc != 0 and "STALE" in res.output and "is gone" in res.output, res
    res = playbook("backup.yml", "-l", "todo_stacks", extra_vars={"backup_s3_enabled": False, "stack_backup_local_dir": str(local),
                                                                  "stack_lock_break_stale": True})
    assert res.rc == 0, res
    assert "Stale stack lock of todo broken" in (todo_dir / "OPS_JOURNAL.md").read_text()
    left = sorted(p.name for p in local.iterdir())
    assert [n for n in left if n.endswith(".partial") or n.startswith(".staging-")] == [], left
    done = archives(local, "todo")
    assert len(done) == 1 and Path(str(done[0]) + ".sha256").exists(), left


def test_postgres_restore_verify_compares_row_counts_and_judges_pg_restore(sandbox, tmp_path):
    local = tmp_path / "bk"
    res = playbook("backup.yml", "-l", "sprint_stacks", extra_vars={"backup_s3_enabled": False, "stack_backup_local_dir": str(local)})
    assert res.rc == 0, res
    good = archives(local, "sprint")[0]
    meta = manifest_of(good)["metadata"]
    assert isinstance(meta["tables"], dict) and "users" in meta["tables"] and "quiet_queue" in meta["tables"], meta
    verify = {"restore_source": "local", "stack_backup_local_dir": str(local)}
    res = playbook("restore.yml", "-l", "sprint_stacks", extra_vars={**verify, "restore_archive": good.name})
    assert res.rc == 0, res
    journal = (sandbox_root() / "sprint" / "OPS_JOURNAL.md").read_text()
    assert "row counts match the manifest (alembic_version=1" in " ".join(journal[journal.rfind("— Restore"):].split()), journal[-2000:]

    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(["bash", "-c", f"zstd -dc {good} | tar -x -C {extracted}"], check=True)
    dump = next((extracted / "db").iterdir())

    def rebuild(name: str, metadata: dict) -> str:
        res, out = module("tgops.stack.backup_archive", {"dest_dir": str(local), "name": name, "members": [
            {"src": str(extracted / "db"), "arcname": "db"}], "metadata": metadata})
        assert not out.get("failed"), out
        return Path(out["archive"]).name

    # 1. The manifest says one more user than the dump holds: the counts differ, the archive is refused.
    wrong = dict(meta, tables=dict(meta["tables"], users=meta["tables"]["users"] + 1))
    name = rebuild("sprint-20200101T000000Z", wrong)
    res = playbook("restore.yml", "-l", "sprint_stacks", extra_vars={**verify, "restore_archive": name})
    assert res.rc != 0, res
    flat = " ".join(res.output.split())
    assert "does not match its manifest" in flat and "row counts" in flat and "Production was not touched" in flat, res

    # 2. The dump is garbage (a manifest that matches it): pg_restore fails, and its own error line is the cause.
    dump.write_bytes(b"PGDMP" + os.urandom(4096))
    name = rebuild("sprint-20200102T000000Z", meta)
    res = playbook("restore.yml", "-l", "sprint_stacks", extra_vars={**verify, "restore_archive": name})
    assert res.rc != 0, res
    flat = " ".join(res.output.split())
    assert "into the scratch Postgres failed: pg_restore: error:" in flat and "Unknown error" not in flat.split("Restore (verify)")[-1], res
    assert run(["docker", "ps", "-aq", "--filter", "label=tgops.scratch"], check=True).stdout.strip() == ""


def test_secret_file_keep_backups_zero_keeps_the_rollback_copy(tmp_path):
    env = tmp_path / ".env"
    env.write_text("BOT_TOKEN=first\n")
    env.chmod(0o600)
    for value in ("second", "third"):
        res, out = module("tgops.stack.secret_file", {"path": str(env), "env": {"BOT_TOKEN": value}, "keep_backups": 0})
        assert out.get("changed") and not out.get("failed"), out
        backup = Path(out["backup"])
        assert backup.exists(), f"keep_backups=0 deleted the rollback copy it had just written\n{out}"
    assert backup.read_text() == "BOT_TOKEN=second\n"
    assert sorted(p.name for p in tmp_path.glob(".env.*.bak")) == [backup.name], "older backups beyond keep_backups are pruned"
    res, out = module("tgops.stack.secret_file", {"path": str(env), "state": "restored", "restore_from": str(backup)})
    assert not out.get("failed") and env.read_text() == "BOT_TOKEN=second\n", out
