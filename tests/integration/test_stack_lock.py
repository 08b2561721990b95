"""One lock per stack for every run that changes it, with real processes on the real sandbox.

Deploy, migrate, production restore, rotate-secrets, backup and the runbooks' actions take the same lock file
(`<stack_dir>/.tgops-stack.lock`); read-only playbooks do not.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

from conftest import NO_REHEARSAL, REPO, VENV_BIN, _env, playbook, run

TODO_LIMIT = ["-l", "todo_stacks"]


def start(name, *args, extra_vars=None):
    cmd = [str(VENV_BIN / "ansible-playbook"), str(REPO / "playbooks" / name), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    return subprocess.Popen(cmd, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(path, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def lock_module(path, holder, token):
    args = {"path": str(path), "holder": holder, "token": token, "owner": {"host": "x", "boot_id": "y", "pid": os.getpid()}}
    return [str(VENV_BIN / "ansible"), "localhost", "-m", "tgops.stack.stack_lock", "-a", json.dumps(args)]


def test_twenty_rounds_of_two_runs_at_the_same_instant(tmp_path):
    """Two real processes running the real module, released by a barrier: exactly one takes the lock each round."""
    for round_ in range(20):
        path = tmp_path / f"round-{round_}.lock"
        barrier = threading.Barrier(2)
        results = {}

        def one(i, path=path, barrier=barrier, results=results, round_=round_):
            cmd = lock_module(path, f"run {i}", f"token-{round_}-{i}")
            barrier.wait()
            results[i] = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=120, check=False)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [i for i, r in results.items() if r.returncode == 0]
        assert len(winners) == 1, (round_, {i: r.stdout[-500:] for i, r in results.items()})
        loser = results[1 - winners[0]]
        assert f"held by run {winners[0]}" in loser.stdout, loser.stdout
        assert json.loads(path.read_text())["token"] == f"token-{round_}-{winners[0]}"


def test_deploy_refuses_a_concurrent_deploy_and_rotation_and_makes_a_backup_wait(todo_dir):
    lock = todo_dir / ".tgops-stack.lock"
    # A release that fails its gate and is rolled back holds the lock for a minute or more, whatever version runs now.
    first = start("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "broken", "stack_lock_holder": "alice via deploy.yml", **NO_REHEARSAL})
    assert wait_for(lock, first), "the first deploy never took the lock"
    holder = json.loads(lock.read_text())
    assert holder["holder"] == "alice via deploy.yml" and holder["pid"] and holder["host"]
    second = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", "stack_lock_holder": "awx job 7", **NO_REHEARSAL})
    rotation = playbook("rotate-secrets.yml", *TODO_LIMIT, extra_vars={"rotate_secrets_kinds": "bot_token"})
    short_backup = playbook("backup.yml", *TODO_LIMIT, extra_vars={"backup_s3_enabled": False, "backup_lock_wait": 2})
    waiting_backup = start("backup.yml", *TODO_LIMIT, extra_vars={"backup_s3_enabled": False})
    out, _ = first.communicate(timeout=900)
    assert first.returncode != 0 and "rolled back" in out.lower(), out
    for refused in (second, rotation):
        assert refused.rc != 0 and "held by alice via deploy.yml (pid" in refused.output and "Wait for that run" in refused.output, refused
    assert short_backup.rc != 0 and "waited 2s" in short_backup.output and "alice via deploy.yml" in short_backup.output, short_backup
    out, _ = waiting_backup.communicate(timeout=900)
    assert waiting_backup.returncode == 0, out
    assert not lock.exists()


def test_read_only_playbooks_run_while_the_lock_is_held(todo_dir):
    lock = todo_dir / ".tgops-stack.lock"
    first = start("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", **NO_REHEARSAL})
    try:
        assert wait_for(lock, first)
        res = playbook("stack-info.yml", *TODO_LIMIT)
        assert res.rc == 0, res
    finally:
        first.communicate(timeout=900)


def test_lock_of_a_killed_run_is_stale_and_broken_only_on_purpose_and_journaled(todo_dir):
    lock = todo_dir / ".tgops-stack.lock"
    victim = start("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", "stack_lock_holder": "victim via deploy.yml", **NO_REHEARSAL})
    assert wait_for(lock, victim)
    pid = json.loads(lock.read_text())["pid"]
    os.kill(pid, signal.SIGKILL)
    victim.wait(timeout=60)
    time.sleep(1)  # its workers die with it
    assert lock.exists(), "a killed run leaves its lock"
    res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", **NO_REHEARSAL})
    assert res.rc != 0 and "STALE" in res.output and f"its run (pid {pid}" in res.output and "stack_lock_break_stale=true" in res.output, res
    res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", "stack_lock_break_stale": True, **NO_REHEARSAL})
    assert res.rc == 0, [line for line in res.output.splitlines() if "fatal:" in line or "FAILED" in line or "msg" in line][-8:]
    journal = (todo_dir / "OPS_JOURNAL.md").read_text()
    assert "Stale stack lock of todo broken" in journal and "victim via deploy.yml" in journal
    assert not lock.exists()


def test_empty_lock_file_counts_as_held(todo_dir):
    lock = todo_dir / ".tgops-stack.lock"
    lock.write_text("")
    try:
        res = playbook("deploy.yml", *TODO_LIMIT, extra_vars={"deploy_version": "v2", **NO_REHEARSAL})
        assert res.rc != 0 and "empty lock file" in res.output and "Wait for that run" in res.output, res
        res = playbook("migrate.yml", *TODO_LIMIT)
        assert res.rc != 0 and "empty lock file" in res.output, res
        assert lock.read_text() == ""
    finally:
        lock.unlink(missing_ok=True)


def test_check_mode_reads_the_lock_and_writes_none(todo_dir):
    lock = todo_dir / ".tgops-stack.lock"
    res = playbook("deploy.yml", *TODO_LIMIT, "--check", extra_vars={"deploy_version": "v2", **NO_REHEARSAL})
    assert res.rc == 0 and not lock.exists(), res
    assert run(["curl", "-fsS", "http://127.0.0.1:8101/health"]).rc == 0
