"""Issue 14 (3): the jobs run inside the execution environment, the way AWX runs them.

ansible-runner with container isolation (``--process-isolation --process-isolation-executable
docker --container-image tgops-ee/ee``) runs ansible-playbook *inside* the EE built by
``make ee`` (ee/build.sh): the project is copied into the job's private data dir as AWX's
project sync does, the inventory is the sandbox's. The playbooks use a local connection inside
the EE container, so the job gets what that needs: the host's Docker socket, the sandbox root
and Docker's volumes directory (the SQLite DB is read at its host path) mounted at the same
paths, and the host network (health URLs, the fake Bot API, the local S3
server listen on 127.0.0.1). A real AWX job reaches a VPS over SSH instead (docs/execution-environment.md).
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from conftest import REPO, TODO, VENV_BIN, compose, run

EE_IMAGE = os.environ.get("EE_IMAGE", "tgops-ee/ee:latest")
DOCKER_SOCKET = "/var/run/docker.sock"


def docker_volumes_dir() -> str:
    """Where the engine keeps named volumes: the local-connection jobs read the SQLite DB there (db.host_path)."""
    root = run(["docker", "info", "--format", "{{.DockerRootDir}}"], check=True).stdout.strip()
    return f"{root}/volumes"


@pytest.fixture(scope="module")
def ee_image():
    """The EE image, (re)built when its inputs changed; seconds when the tgops.ee.hash label matches."""
    res = run([REPO / "ee" / "build.sh"], timeout=2400)
    assert res.rc == 0, res
    py = run(["docker", "image", "inspect", "-f", '{{ index .Config.Labels "tgops.ee.python" }}', EE_IMAGE], check=True)
    major, minor = (int(x) for x in py.stdout.strip().split("."))
    assert (major, minor) >= (3, 11), f"EE Python {py.stdout.strip()}: ansible-core 2.19 needs >= 3.11"
    return EE_IMAGE


def make_job_dir(work: Path, sandbox: Path, extravars: dict) -> Path:
    """An ansible-runner private data dir laid out as AWX lays out a job: project/, inventory/, env/."""
    pdd = work / "job"
    if pdd.exists():
        shutil.rmtree(pdd)
    project = pdd / "project"
    project.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "output")
    shutil.copy(REPO / "ansible.cfg", project)
    for name in ("playbooks", "roles", "collections", "inventories"):
        shutil.copytree(REPO / name, project / name, ignore=ignore)
    shutil.copytree(REPO / "inventories" / "sandbox", pdd / "inventory")
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(json.dumps({"TGOPS_SANDBOX_ROOT": str(sandbox), "ANSIBLE_NOCOLOR": "1"}))
    (pdd / "env" / "extravars").write_text(json.dumps(extravars))
    return pdd


def run_in_ee(image: str, pdd: Path, playbook: str, ident: str, sandbox: Path, work: Path) -> dict:
    ident = f"{ident}-{uuid.uuid4().hex[:8]}"  # also names the container: unique per run
    cmd = [VENV_BIN / "ansible-runner", "run", pdd, "-p", f"playbooks/{playbook}", "--ident", ident,
           "--process-isolation", "--process-isolation-executable", "docker", "--container-image", image,
           "--container-volume-mount", f"{DOCKER_SOCKET}:{DOCKER_SOCKET}",
           "--container-volume-mount", f"{docker_volumes_dir()}:{docker_volumes_dir()}",
           "--container-volume-mount", f"{sandbox}:{sandbox}",
           "--container-volume-mount", f"{work}:{work}",
           "--container-option=--network=host"]
    res = run(cmd, timeout=900)
    art = pdd / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in sorted((art / "job_events").glob("*.json"),
                                                         key=lambda p: int(p.name.split("-")[0]))]
    stats = next((e["event_data"] for e in events if e["event"] == "playbook_on_stats"), {})
    return {"res": res, "status": (art / "status").read_text().strip(), "rc": int((art / "rc").read_text()),
            "command": json.loads((art / "command").read_text())["command"], "stats": stats,
            "stdout": (art / "stdout").read_text(), "events": events}


def day_entry(md: Path) -> str:
    today = time.strftime("%Y-%m-%d", time.gmtime())
    text = md.read_text()
    begin = f"<!-- tgops:begin id=day-{today} -->"
    assert begin in text, f"no Day entry for {today} in {md}:\n{text[-3000:]}"
    return text.split(begin, 1)[1].split(f"<!-- tgops:end id=day-{today} -->", 1)[0]


@pytest.fixture
def recreate_worker(todo_dir):
    yield
    compose(todo_dir, "deploy", TODO["files"], TODO["env_file"], "up", "-d", "--force-recreate", "--no-deps", "--wait", "worker")


def test_daily_check_runs_green_inside_the_execution_environment(ee_image, sandbox, s3, tmp_path, recreate_worker):
    journals = tmp_path / "journals"
    journals.mkdir()
    pdd = make_job_dir(tmp_path, sandbox, {"stack_journal_path": f"{journals}/{{{{ stack_name }}}}.md"})
    hosts = {"todo-sandbox": "todo", "sprint-sandbox": "sprint"}

    # the evidence the daily check looks for: a fresh backup (local + S3), made by a job in the EE too
    backup = run_in_ee(ee_image, pdd, "backup.yml", "backup", sandbox, tmp_path)
    assert backup["status"] == "successful" and backup["rc"] == 0, backup["stdout"][-6000:]

    job = run_in_ee(ee_image, pdd, "daily-check.yml", "daily", sandbox, tmp_path)
    assert job["res"].rc == 0, job["res"]
    assert job["status"] == "successful" and job["rc"] == 0, job["stdout"][-6000:]
    # ansible-runner ran ansible-playbook in a container of the EE image, as AWX does
    command = job["command"]
    assert command[:2] == ["docker", "run"] and ee_image in command, command
    assert command[command.index(ee_image) + 1] == "ansible-playbook", command
    # every host ran, none failed or was unreachable
    assert set(job["stats"]["ok"]) == set(hosts), job["stats"]
    assert not job["stats"]["failures"] and not job["stats"]["dark"], job["stats"]
    for stack in hosts.values():
        day = day_entry(journals / f"{stack}.md")
        assert "FAIL" not in day and "Backup created: YES" in day, day

    # Mitogen ships in the EE, off by default; the environment AWX passes (Settings > Jobs > Extra Environment
    # Variables) turns it on. Ansible refuses an unknown strategy, so the green job ran Mitogen from the EE (the daily
    # check's play, whose hosts do not wait for each other, picks mitogen_free, the twin of Ansible's free).
    mitogen_dir = run(["docker", "run", "--rm", "--network", "none", ee_image, "python3", "-c",
                       "import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))"], check=True).stdout.strip()
    envvars = json.loads((pdd / "env" / "envvars").read_text())
    (pdd / "env" / "envvars").write_text(json.dumps({**envvars, "ANSIBLE_STRATEGY": "mitogen_linear"}))
    unknown = run_in_ee(ee_image, pdd, "daily-check.yml", "daily-nomitogen", sandbox, tmp_path)
    assert unknown["rc"] != 0 and "Invalid play strategy specified: mitogen_free" in unknown["stdout"], unknown["stdout"][-3000:]
    (pdd / "env" / "envvars").write_text(json.dumps({**envvars, "ANSIBLE_STRATEGY": "mitogen_linear",
                                                     "ANSIBLE_STRATEGY_PLUGINS": f"{mitogen_dir}/plugins/strategy"}))
    job = run_in_ee(ee_image, pdd, "daily-check.yml", "daily-mitogen", sandbox, tmp_path)
    assert job["status"] == "successful" and job["rc"] == 0, job["stdout"][-6000:]
    assert set(job["stats"]["ok"]) == set(hosts) and not job["stats"]["failures"], job["stats"]
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))

    # the same job goes red when a service is down: the green above is earned
    run(["docker", "stop", "deploy-worker-1"], check=True)
    job = run_in_ee(ee_image, pdd, "daily-check.yml", "daily-red", sandbox, tmp_path)
    assert job["status"] == "failed" and job["rc"] != 0, job["stdout"][-6000:]
    assert "todo-sandbox" in job["stats"]["failures"] and "sprint-sandbox" not in job["stats"]["failures"], job["stats"]
    assert "FAIL" in day_entry(journals / "todo.md")
