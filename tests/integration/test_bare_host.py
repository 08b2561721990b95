"""playbooks/host-setup.yml on a bare Debian VPS, Docker installed from the distribution, then a green daily check.

The host is a container of tgops-bare/host:trixie (sandbox/images/bare-host/build.sh): systemd as PID 1, sshd, python3
and nothing else, reached by Ansible over real SSH (a generated key, sshd's port published on 127.0.0.1). It is not
--privileged: this machine's dockerd lacks CAP_SYS_RESOURCE, and a privileged container fails with "unable to apply
caps". It gets every other capability, no seccomp/AppArmor confinement, all devices, and /sys and its cgroup v1
hierarchies remounted read-write before /sbin/init runs; a volume (tgops-bare-docker) at /var/lib/docker keeps the
inner dockerd off overlay-on-overlay. The host's CA bundle is mounted read-only and /etc/pip.conf points pip at it
(this machine's TLS is intercepted; a real VPS trusts the public CAs pip already knows).

1. host-setup with host_setup_install_docker=true and host_setup_docker_source=distribution: apt installs Debian 13's
   docker.io and docker-compose (Compose v2) from the Debian mirror, dockerd runs under systemd, the venv the inventory
   names (/opt/tgops/venv, the production path) gets the pins from the Python registry, the stack and backup
   directories get their modes; a second run reports changed=0. --check before it creates nothing. A Debian 12
   host (tgops-bare/host:bookworm) asking for the distribution's Docker is refused before anything is installed.
2. A todo stack on that host: its images moved into the inner Docker with `docker save | docker load` (no registry),
   its files and an env file with a planted BOT_TOKEN copied into the stack directory host-setup made, started with
   the inner `docker compose up --wait`.
   The fake Telegram Bot API runs INSIDE the bare host: the sandbox's fakes Compose project (same image, network
   tgops_fakes, 127.0.0.1:8081 of the bare host), so the bot reaches it as fake-telegram:8081 and the daily check's
   getMe reaches it at stack_bot_api_base (127.0.0.1:8081) as on the other sandbox hosts.
   S3 is an S3 server of the test's own (moto, as sandbox/bin/s3-server.sh runs it) listening on the gateway address
   of the test's bridge network (tgops-bare-net): the outer host as the bare host sees it.
3. backup.yml (zstd archive, uploaded with boto3 from the new venv) and a green daily-check.yml run over SSH with
   /opt/tgops/venv/bin/python as the interpreter. Nothing of the shared sandbox is touched; the `sandbox` fixture is
   asked for because it builds the app images (and puts the test in the serial lane). The containers, the volume and
   the network of the test are named tgops-bare* and removed at teardown; the images tgops-bare/host:trixie and
   :bookworm stay, cached by content hash like the sandbox images (cold build about 45 s each here).
"""
from __future__ import annotations

import io
import json
import re
import socket
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from conftest import REPO, VENV_BIN, playbook, run, scan_for_secrets

IMAGE = "tgops-bare/host:trixie"
IMAGE_OLD = "tgops-bare/host:bookworm"
NAME = "tgops-bare-host"
NAME_OLD = "tgops-bare-bookworm"
VOLUME = "tgops-bare-docker"
NETWORK = "tgops-bare-net"
VENV = "/opt/tgops/venv"
STACK_DIR = "/srv/tgops/todo"
BACKUP_DIR = "/var/backups/tgops/todo"
PROJECT = "todo"
PINS = {"docker": "7.2.0", "boto3": "1.44.5", "zstandard": "0.25.0"}
TOKEN = "7190000001:PLANTEDbareHostBotTokenXXXXXXXXXXXX"
BUCKET = "tgops-bare"
APP_IMAGES = ["tgops-sandbox/todo:v1", "tgops-sandbox/fake-telegram:latest"]
TODO_FILES = ["docker-compose.yml", "docker-compose.vps.override.yml"]
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def sh(ctr: str, script: str, *, check=True, timeout=600, input=None):
    """A shell command on the bare host (docker exec: the test's own look at it, not Ansible's)."""
    return run(["docker", "exec", "-i", ctr, "sh", "-c", script], check=check, timeout=timeout, input=input)


def remove_all():
    for ctr in (NAME, NAME_OLD):
        run(["docker", "rm", "-f", "-v", ctr])
    run(["docker", "volume", "rm", "-f", VOLUME])
    run(["docker", "network", "rm", NETWORK])


def boot(name: str, image: str, work: Path, volume: str | None) -> int:
    """Start a bare host; return the 127.0.0.1 port of its sshd once root logs in with the test's key."""
    args = ["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK,
            "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--security-opt", "seccomp=unconfined",
            "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
            "--device-cgroup-rule", "a *:* rwm", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
            "-p", "127.0.0.1::22",
            "-v", f"{work / 'client_ed25519.pub'}:/root/.ssh/authorized_keys:ro",
            "-v", f"{CA_BUNDLE}:/usr/local/share/tgops-bare/ca.crt:ro",
            "-v", f"{work / 'pip.conf'}:/etc/pip.conf:ro"]
    if volume:
        args += ["-v", f"{volume}:/var/lib/docker"]
    script = ('mount -o remount,rw /sys && for d in /sys/fs/cgroup/*; do mount -o remount,rw,bind "$d"; done'
              ' && exec /sbin/init SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1')
    run([*args, "--entrypoint", "/bin/sh", image, "-c", script], check=True)
    for _ in range(100):  # until systemd answers on its bus; then --wait for the boot to finish
        state = sh(name, "systemctl is-system-running --wait", check=False, timeout=120)
        if state.stdout.strip() not in ("", "offline"):
            break
        time.sleep(0.2)
    assert state.stdout.strip() == "running", (f"{name}: systemd says {state.stdout.strip()!r}\n"
                                               + sh(name, "systemctl --failed --no-pager", check=False).stdout)
    port = int(run(["docker", "port", name, "22/tcp"], check=True).stdout.strip().splitlines()[0].rsplit(":", 1)[1])
    for _ in range(50):
        res = run(["ssh", *ssh_opts(work, port), "root@127.0.0.1", "python3 --version"], timeout=30)
        if res.rc == 0:
            return port
        time.sleep(0.2)
    raise AssertionError(f"root does not log in to {name} over SSH: {res}")


def ssh_opts(work: Path, port: int) -> list:
    return ["-p", str(port), "-i", str(work / "client_ed25519"), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]


def host_vars(work: Path, port: int) -> dict:
    return {
        "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "root",
        # A new host key every run: checking is off for this test host only (ansible.cfg keeps it on).
        "ansible_host_key_checking": False, "ansible_ssh_private_key_file": str(work / "client_ed25519"),
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ControlMaster=auto"
                                   " -o ControlPersist=60s",
        # what inventories/production/group_vars/all.yml says: the venv host-setup makes
        "ansible_python_interpreter": f"{VENV}/bin/python",
    }


def write_inventory(path: Path, hosts: dict) -> Path:
    path.write_text(json.dumps({"all": {"children": {"todo_stacks": {"children": {"bare": {"hosts": hosts}}}}}}, indent=2))
    return path


def inv_args(inv: Path, limit: str) -> list:
    return ["-i", str(REPO / "inventories" / "sandbox" / "hosts.yml"), "-i", str(inv), "-l", limit]


def recap(res, host) -> dict:
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith(host) and "changed=" in ln), None)
    assert line, res
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def tar_of(src: Path, extra: dict) -> bytes:
    """A tar of the entries under src (not src itself: the target directory keeps its mode) plus extra files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for entry in sorted(src.iterdir()):
            if not entry.name.endswith(".example"):
                tar.add(entry, arcname=entry.name)
        for name, (text, mode) in extra.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(text.encode()), mode
            tar.addfile(info, io.BytesIO(text.encode()))
    return buf.getvalue()


def put(ctr: str, dest: str, data: bytes):
    res = subprocess.run(["docker", "exec", "-i", ctr, "sh", "-c", f"mkdir -p {dest} && tar -x -C {dest}"],
                         input=data, capture_output=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr.decode(errors="replace")


class S3:
    """moto's S3 server on the test network's gateway address: the outer host, as the bare host reaches it."""

    def __init__(self, address: str, logdir: Path):
        with socket.socket() as sock:
            sock.bind((address, 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://{address}:{self.port}"
        self.proc = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", address, "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=open(logdir / "moto.log", "w"))
        for _ in range(100):
            try:
                with socket.create_connection((address, self.port), timeout=1):
                    break
            except OSError:
                assert self.proc.poll() is None, "moto server exited: " + (logdir / "moto.log").read_text()[-2000:]
                time.sleep(0.1)
        import boto3

        self.client = boto3.client("s3", endpoint_url=self.url, aws_access_key_id="bare-access",
                                   aws_secret_access_key="bare-secret", region_name="us-east-1")
        self.client.create_bucket(Bucket=BUCKET)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def bare(sandbox, tmp_path_factory):
    t0 = time.monotonic()
    run([REPO / "sandbox" / "bin" / "build-images.sh", "bare-host", "bare-host-bookworm"], check=True, timeout=900)
    work = tmp_path_factory.mktemp("bare-host")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", work / "client_ed25519"], check=True)
    (work / "pip.conf").write_text("[global]\ncert = /usr/local/share/tgops-bare/ca.crt\n")
    remove_all()
    run(["docker", "network", "create", NETWORK], check=True)
    gateway = run(["docker", "network", "inspect", "-f", "{{ (index .IPAM.Config 0).Gateway }}", NETWORK],
                  check=True).stdout.strip()
    s3 = None
    try:
        s3 = S3(gateway, work)
        port = boot(NAME, IMAGE, work, VOLUME)
        old_port = boot(NAME_OLD, IMAGE_OLD, work, None)
        hv = {
            **host_vars(work, port), "stack_name": "todo", "stack_dir": STACK_DIR, "stack_project": PROJECT,
            "stack_health_url": "http://127.0.0.1:8101/health", "stack_backup_local_dir": BACKUP_DIR,
            "stack_s3_enabled": True, "stack_s3_endpoint_url": s3.url, "stack_s3_bucket": BUCKET,
            "stack_s3_access_key": "bare-access", "stack_s3_secret_key": "bare-secret",
        }
        inv = write_inventory(work / "inventory.json", {
            NAME: hv, NAME_OLD: {**hv, **host_vars(work, old_port)},
        })
        print(f"bare hosts up in {time.monotonic() - t0:.0f}s (image build included)")
        yield {"work": work, "inv": inv, "s3": s3}
    finally:
        if s3:
            s3.stop()
        remove_all()


def setup(bare, *args, limit=NAME, extra=None):
    ev = {"host_setup_install_docker": True, "host_setup_docker_source": "distribution"}
    ev.update(extra or {})
    return playbook("host-setup.yml", *inv_args(bare["inv"], limit), *args, extra_vars=ev)


def test_bookworm_distribution_docker_is_refused_before_anything_is_installed(bare):
    res = setup(bare, limit=NAME_OLD)
    assert res.rc != 0, res
    assert "Debian 12" in res.output and "whose own packages have no Compose v2" in res.output, res
    assert "host_setup_docker_source=docker" in res.output, res
    after = sh(NAME_OLD, "command -v docker apt-get; ls /opt/tgops 2>&1; dpkg-query -W -f '${db:Status-Status}' "
               "python3-apt 2>&1", check=False).stdout
    assert "/usr/bin/docker" not in after and "No such file" in after and "installed" not in after, after


def test_check_mode_on_the_bare_host_reports_and_installs_nothing(bare):
    res = setup(bare, "--check")
    assert res.rc == 0, res
    assert recap(res, NAME)["changed"] > 0, res
    assert "would install docker.io, docker-compose" in res.output, res
    left = sh(NAME, f"command -v docker; ls -d {VENV} {STACK_DIR} {BACKUP_DIR} 2>&1", check=False).stdout
    assert "/usr/bin/docker" not in left and left.count("No such file") == 3, left


def test_host_setup_installs_docker_from_the_distribution(bare):
    t0 = time.monotonic()
    res = setup(bare)
    assert res.rc == 0, res
    first = time.monotonic() - t0
    assert recap(res, NAME)["changed"] > 0, res

    # Docker Engine from Debian's docker.io, Compose v2 from docker-compose, dockerd run by systemd
    pkgs = sh(NAME, "dpkg-query -W -f '${Package} ${Version} ${db:Status-Status}\\n' docker.io docker-compose").stdout
    assert re.search(r"^docker\.io \S+ installed$", pkgs, re.M) and re.search(r"^docker-compose 2\.\S+ installed$", pkgs, re.M), pkgs
    unit = sh(NAME, "systemctl is-enabled docker; systemctl is-active docker; "
                    "ps -o comm= -p $(systemctl show -p MainPID --value docker)").stdout.split()
    assert unit == ["enabled", "active", "dockerd"], unit
    compose = sh(NAME, "docker compose version --short").stdout.strip()
    assert int(compose.split(".")[0]) == 2, compose
    # the venv the inventory names, with the pins
    out = sh(NAME, f"{VENV}/bin/python -c 'import json, importlib.metadata as m, docker, boto3, zstandard;"
                   " print(json.dumps({d: m.version(d) for d in (\"docker\", \"boto3\", \"zstandard\")}))'").stdout
    assert json.loads(out) == PINS, out
    # the directories with their modes, owned by root
    modes = sh(NAME, f"stat -c '%n %a %U:%G' {STACK_DIR} {BACKUP_DIR}").stdout.split("\n")
    assert modes[:2] == [f"{STACK_DIR} 750 root:root", f"{BACKUP_DIR} 700 root:root"], modes

    # idempotent
    t1 = time.monotonic()
    res = setup(bare)
    assert res.rc == 0, res
    assert recap(res, NAME)["changed"] == 0, res
    print(f"host-setup on the bare host: first run {first:.0f}s, second {time.monotonic() - t1:.0f}s")


def test_stack_on_the_new_host_then_backup_and_a_green_daily_check(bare):
    t0 = time.monotonic()
    # the app images into the inner Docker, no registry
    save = subprocess.Popen(["docker", "save", *APP_IMAGES], stdout=subprocess.PIPE)
    load = subprocess.run(["docker", "exec", "-i", NAME, "docker", "load", "-q"], stdin=save.stdout,
                          capture_output=True, text=True, timeout=600, check=False)
    save.stdout.close()
    assert save.wait() == 0 and load.returncode == 0, load.stderr
    # the fake Bot API inside the bare host: the sandbox's fakes project, the stack's token registered
    tokens = json.dumps({TOKEN: {"bot_id": 7190000001, "username": "bare_todo_bot"}})
    put(NAME, "/srv/fakes", tar_of(REPO / "sandbox" / "stacks" / "fakes", {"config/tokens.json": (tokens, 0o644)}))
    sh(NAME, "cd /srv/fakes && docker compose up -d --wait --quiet-pull", timeout=300)
    # the todo stack in the directory host-setup made (its mode stays 0750), env file 0600 with the planted token
    env = "\n".join(["DB_PATH=/data/organizer.db", f"BOT_TOKEN={TOKEN}", "TELEGRAM_API_BASE=http://fake-telegram:8081",
                     "CALENDAR_MODE=NOT_CONFIGURED", "APP_VERSION=v1", "API_PORT=8101", ""])
    put(NAME, STACK_DIR, tar_of(REPO / "sandbox" / "stacks" / "todo", {".env.prod": (env, 0o600)}))
    files = " ".join(f"-f {f}" for f in TODO_FILES)
    sh(NAME, f"cd {STACK_DIR} && docker compose -p {PROJECT} {files} --env-file .env.prod up -d --wait", timeout=300)
    assert sh(NAME, f"stat -c %a {STACK_DIR}").stdout.strip() == "750"
    print(f"stack on the bare host in {time.monotonic() - t0:.0f}s")

    res_backup = playbook("backup.yml", *inv_args(bare["inv"], NAME))
    assert res_backup.rc == 0, res_backup
    res = playbook("daily-check.yml", *inv_args(bare["inv"], NAME), "-vvv")
    assert res.rc == 0, res
    assert recap(res, NAME)["failed"] == 0, res
    assert f"{VENV}/bin/python && sleep 0" in res.output, "the daily check did not run with the venv's Python"

    archives = sh(NAME, f"ls {BACKUP_DIR}").stdout.split()
    assert any(a.endswith(".tar.zst") for a in archives), archives
    keys = [o["Key"] for o in bare["s3"].client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert any(k.endswith(".tar.zst") for k in keys), keys
    journal = sh(NAME, f"cat {STACK_DIR}/OPS_JOURNAL.md").stdout
    daily = journal.split("## Daily checks", 1)[-1]
    assert "Backup created: YES" in journal and "FAIL" not in daily, journal
    print(daily.strip())

    # getMe from the new host through its venv: the bot's token (read from the env file there) is known to the fake
    res_me = run([VENV_BIN / "ansible", NAME, *inv_args(bare["inv"], NAME), "-m", "tgops.stack.telegram_bot_info",
                  "-a", json.dumps({"env_file": f"{STACK_DIR}/.env.prod", "api_base": "http://127.0.0.1:8081"})],
                 env={"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"})
    assert res_me.rc == 0, res_me
    me = json.loads(res_me.stdout)["plays"][0]["tasks"][0]["hosts"][NAME]
    assert me["ok"] and me["username"] == "bare_todo_bot" and me["bot_id"] == 7190000001, me
    assert not scan_for_secrets(texts=[res_backup.output, res.output, res_me.output, journal], values=[TOKEN])

