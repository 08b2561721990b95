"""Fixtures for the integration suite: the real sandbox on a real Docker Engine.

Nothing here is mocked. The session starts the sandbox stacks with
sandbox/bin/up.sh (the same script `make sandbox-up` uses) and tears them
down at the end unless TGOPS_KEEP_SANDBOX=1.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
SANDBOX_BIN = REPO / "sandbox" / "bin"


def _env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env.setdefault("TGOPS_SANDBOX_ROOT", str(REPO / ".sandbox"))
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    if extra:
        env.update(extra)
    return env


@dataclass
class Result:
    cmd: list
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return str(self)

    def failures(self) -> list[str]:
        """The lines of an Ansible run that say what failed (the fatal task and its msg), first ones first."""
        lines = self.output.splitlines()
        picked = []
        for i, line in enumerate(lines):
            if line.startswith(("fatal:", "failed:", "ERROR!", "[ERROR]")) or "FAILED!" in line:
                picked.extend(lines[max(0, i - 1):i + 12])
        return [line[:400] for line in picked[:120]]

    def __str__(self) -> str:
        head = "\n".join(self.failures())
        return (f"$ {shlex.join(map(str, self.cmd))}\nrc={self.rc}\n--- what failed\n{head}\n"
                f"--- stdout (tail)\n{self.stdout[-6000:]}\n--- stderr (tail)\n{self.stderr[-3000:]}")


def run(cmd, *, env=None, cwd=REPO, timeout=900, check=False, input=None) -> Result:
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=_env(env), capture_output=True, text=True, timeout=timeout, input=input, check=False
    )
    res = Result(list(cmd), proc.returncode, proc.stdout, proc.stderr)
    if check and res.rc != 0:
        raise AssertionError(str(res))
    return res


def sandbox_root() -> Path:
    return Path(_env()["TGOPS_SANDBOX_ROOT"])


def playbook(name: str, *args, extra_vars: dict | None = None, env=None, timeout=900) -> Result:
    cmd = [VENV_BIN / "ansible-playbook", REPO / "playbooks" / name, *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    return run(cmd, env=env, timeout=timeout)


def module(name: str, args: dict, *, check=False, env=None) -> tuple[Result, dict]:
    """Run one module of the collection on localhost; return the result dict."""
    cmd = [VENV_BIN / "ansible", "localhost", "-m", name, "-a", json.dumps(args)]
    if check:
        cmd.append("--check")
    e = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    e.update(env or {})
    res = run(cmd, env=e)
    try:
        data = json.loads(res.stdout)
        host = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(f"could not parse module output: {exc}\n{res}") from exc
    return res, host


def compose(stack_dir: Path, project: str, files: list, env_file: str, *args, check=True) -> Result:
    cmd = ["docker", "compose", "--project-directory", stack_dir, "-p", project]
    for f in files:
        cmd += ["-f", stack_dir / f]
    cmd += ["--env-file", stack_dir / env_file, *args]
    return run(cmd, check=check)


# Deploys whose subject is another feature (gate failures, locks, fleet order, rotations) skip the rehearsal: it is tested
# in test_deploy_rehearsal.py and on the good upgrade of test_deploy, and would add its scratch copy to every deploy here.
NO_REHEARSAL = {"deploy_rehearse": False}


def todo_copy(todo_dir: Path, dest: Path, port: int) -> Path:
    """A throw-away copy of the todo stack directory that starts on its own, whatever earlier tests did to the original.

    The copy publishes the api on `port` and migrates itself on start (AUTO_MIGRATE=1, the fresh sandbox's behaviour):
    an earlier test may have left the live env with AUTO_MIGRATE=0 (the split-volume replica), which a copy with a new,
    empty volume cannot serve with. The journal is not copied.
    """
    shutil.copytree(todo_dir, dest, ignore=shutil.ignore_patterns(".git", "OPS_JOURNAL*"))
    env_file = dest / ".env.prod"
    keep = [line for line in env_file.read_text().splitlines() if not line.startswith(("API_PORT=", "AUTO_MIGRATE="))]
    env_file.write_text("\n".join(keep + [f"API_PORT={port}", "AUTO_MIGRATE=1"]) + "\n")
    return dest


class HealthPoller(threading.Thread):
    """GETs a health URL every 0.2 s through a run; records (time, HTTP 200?). Also a context manager."""

    def __init__(self, url, period=0.2):
        super().__init__(daemon=True)
        self.url, self.period, self.stop_flag, self.samples = url, period, threading.Event(), []

    def run(self):
        while not self.stop_flag.is_set():
            start = time.monotonic()
            try:
                ok = urllib.request.urlopen(self.url, timeout=1).status == 200
            except Exception:  # noqa: BLE001 - any failure is "no 200"
                ok = False
            self.samples.append((start, ok))
            time.sleep(max(0.0, self.period - (time.monotonic() - start)))

    def stop(self):
        time.sleep(0.5)
        self.stop_flag.set()
        self.join()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def longest_outage(self) -> float:
        """Longest time from a failed probe that follows a 200 to the next 200."""
        longest, down_since = 0.0, None
        for t, ok in self.samples:
            if not ok and down_since is None:
                down_since = t
            elif ok and down_since is not None:
                longest, down_since = max(longest, t - down_since), None
        if down_since is not None:  # never came back
            longest = max(longest, self.samples[-1][0] - down_since)
        return round(longest, 2)


# Known secret values planted in the sandbox env files; leak tests scan every
# output for them. Distinctive on purpose so a hit is never a coincidence.
PLANTED = {
    "TGOPS_TODO_BOT_TOKEN": "7100012345:PLANTEDtodoBotTokenXXXXXXXXXXXXXXXX",
    "TGOPS_SPRINT_BOT_TOKEN": "7200012345:PLANTEDsprintBotTokenXXXXXXXXXXXXXX",
    "TGOPS_SPRINT_POSTGRES_PASSWORD": "PLANTEDpgPassw0rdXYZ",
    "TGOPS_SPRINT_S3_ACCESS_KEY": "PLANTEDS3ACCESSKEY01",
    "TGOPS_SPRINT_S3_SECRET_KEY": "PLANTEDs3SecretKeyValue0123456789abcdef",
}


def planted_values() -> list[str]:
    return list(PLANTED.values())


def scan_for_secrets(*paths, texts=(), values=None) -> list[str]:
    """Every place (file path, file name or 'output #n') where a planted value (or one of ``values``) appears."""
    hits = []
    values = planted_values() if values is None else list(values)
    for i, text in enumerate(texts):
        hits += [f"output #{i}: {v[:12]}..." for v in values if v in text]
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for f in files:
            data = f.read_bytes()
            hits += [f"{f}: {v[:12]}..." for v in values if v.encode() in data or v.encode() in f.name.encode()]
    return hits


TODO = {
    "project": "deploy",
    "files": ["docker-compose.yml", "docker-compose.vps.override.yml"],
    "env_file": ".env.prod",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "sandbox: uses the shared sandbox (fixed Compose projects and ports); set by "
                            "pytest_collection_modifyitems, so `-m sandbox` / `-m 'not sandbox'` split the suite into a "
                            "serial lane and one that can run beside it (make test)")


def pytest_collection_modifyitems(config, items):
    """Mark every test whose fixtures reach the session sandbox: those must run one at a time."""
    for item in items:
        if "sandbox" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.sandbox)


@pytest.fixture(scope="session")
def docker_engine():
    res = run(["docker", "info", "--format", "{{.ServerVersion}}"])
    assert res.rc == 0, f"Docker Engine not reachable; run scripts/install-host-deps.sh\n{res}"
    res = run(["docker", "compose", "version", "--short"])
    assert res.rc == 0, f"Compose v2 plugin missing; run scripts/install-host-deps.sh\n{res}"
    return res.stdout.strip()


_SANDBOX_UP: list[bool] = []
# The health URL of each sandbox stack (sprint's says "error" unless Alembic is at head for the running release).
STACK_HEALTH = {"todo": "http://127.0.0.1:8101/health", "sprint": "http://127.0.0.1:8102/health"}


@pytest.fixture(scope="session")
def sandbox(docker_engine):
    """All sandbox stacks up (fakes, todo, sprint), fresh for this session."""
    run([SANDBOX_BIN / "up.sh", "all", "--fresh"], env=PLANTED, check=True, timeout=900)
    _SANDBOX_UP.append(True)
    yield sandbox_root()
    _SANDBOX_UP.clear()
    if os.environ.get("TGOPS_KEEP_SANDBOX") != "1":
        run([SANDBOX_BIN / "down.sh", "all"], timeout=600)


def fresh_stack(stack: str) -> None:
    """Put one sandbox stack back as `up.sh` first made it (v1, seed data, planted secrets): a known starting point."""
    run([SANDBOX_BIN / "up.sh", stack, "--fresh"], env=PLANTED, check=True, timeout=900)


def stack_health(stack: str) -> str:
    """'200' or what the health URL said instead (status and body, or the connection error)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(STACK_HEALTH[stack], timeout=3) as resp:
            return str(resp.status)
    except urllib.error.HTTPError as exc:
        return f"{exc.code} {exc.read()[:300].decode(errors='replace')}"
    except OSError as exc:
        return str(exc)


@pytest.fixture(scope="module", autouse=True)
def _stacks_left_serving():
    """Every test file must leave both stacks serving (production is serving again when a run ends).

    A file that does not is reported as an error at its teardown, and the stack is put back fresh so the damage does
    not spread to the files after it.
    """
    yield
    if not _SANDBOX_UP:
        return
    broken = {}
    for stack in STACK_HEALTH:
        for _ in range(15):  # a stack that is still starting gets 30 s
            said = stack_health(stack)
            if said == "200":
                break
            time.sleep(2)
        else:
            broken[stack] = said
    for stack in broken:
        fresh_stack(stack)
    assert not broken, f"this test file left a sandbox stack not serving (put back fresh for the next file): {broken}"


S3_ENDPOINT = "http://127.0.0.1:9000"
S3_BUCKET = "tgops-backups"


def s3_client():
    import boto3

    return boto3.client("s3", endpoint_url=S3_ENDPOINT, aws_access_key_id="sandbox-access",
                        aws_secret_access_key="sandbox-secret", region_name="us-east-1")


@pytest.fixture(scope="session")
def s3(sandbox):
    """The local S3 server (moto) with the sandbox bucket."""
    run([SANDBOX_BIN / "s3-server.sh", "start"], check=True)
    client = s3_client()
    if S3_BUCKET not in [b["Name"] for b in client.list_buckets().get("Buckets", [])]:
        client.create_bucket(Bucket=S3_BUCKET)
    return client


def aws_env() -> dict:
    return {"AWS_ACCESS_KEY_ID": "sandbox-access", "AWS_SECRET_ACCESS_KEY": "sandbox-secret", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def todo_dir(sandbox) -> Path:
    return sandbox / "todo"


@pytest.fixture(scope="session")
def sprint_dir(sandbox) -> Path:
    return sandbox / "sprint"
