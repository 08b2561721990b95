"""A fleet of todo stacks reached over real SSH on 127.0.0.1: an sshd of its own, one Compose project per "host".

Used by the fleet test and by the bench suite (daily check across 1, 4 and 8 hosts).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import REPO, VENV_BIN, compose, run, sandbox_root

TODO_FILES = ["docker-compose.yml", "docker-compose.vps.override.yml"]
FAKE_TG = "http://127.0.0.1:8081"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sshd:
    """sshd on 127.0.0.1:<free port> accepting one generated key for root."""

    def __init__(self, workdir: Path):
        self.dir = workdir.resolve()
        self.port = free_port()
        self.key = workdir / "client_ed25519"
        self.proc = None

    def start(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        for name in ("host_ed25519", "client_ed25519"):
            path = self.dir / name
            if not path.exists():
                run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        (self.dir / "authorized_keys").write_text((self.dir / "client_ed25519.pub").read_text())
        config = self.dir / "sshd_config"
        config.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.dir / 'host_ed25519'}",
            f"PidFile {self.dir / 'sshd.pid'}", f"AuthorizedKeysFile {self.dir / 'authorized_keys'}",
            "PermitRootLogin prohibit-password", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "UsePAM no", "StrictModes no", "MaxSessions 50", "MaxStartups 50:30:100",
            "Subsystem sftp /usr/lib/openssh/sftp-server", ""]))
        Path("/run/sshd").mkdir(exist_ok=True)
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        self.proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "sshd.log", "w"))
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("sshd exited: " + (self.dir / "sshd.log").read_text()) from None
                time.sleep(0.1)
        raise RuntimeError(f"sshd did not listen on port {self.port}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def host_vars(self) -> dict:
        return {
            "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": self.port, "ansible_user": "root",
            # The test fleet's sshd gets a new host key every run: checking is off here only (ansible.cfg keeps it on).
            "ansible_host_key_checking": False,
            "ansible_ssh_private_key_file": str(self.key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ControlMaster=auto"
                                       " -o ControlPersist=60s",
            "ansible_python_interpreter": str(VENV_BIN / "python"),
        }


def token_for(index: int) -> str:
    return f"{7150000000 + index}:FLEET{index:03d}" + "x" * 27


def register_token(token: str, username: str):
    body = json.dumps({"token": token, "username": username}).encode()
    req = urllib.request.Request(f"{FAKE_TG}/_admin/tokens", data=body, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()


def fleet_dir() -> Path:
    return sandbox_root() / "fleet"


def render_host(index: int) -> dict:
    """A todo stack for fleet host <index>: its own dir, project, port, token; started on v1."""
    name = f"fleet-{index}"
    stack_dir = fleet_dir() / name
    if stack_dir.exists():
        compose(stack_dir, f"fleet{index}", TODO_FILES, ".env.prod", "down", "-v", "--remove-orphans", check=False)
        shutil.rmtree(stack_dir)
    shutil.copytree(REPO / "sandbox" / "stacks" / "todo", stack_dir, ignore=shutil.ignore_patterns("*.example"))
    port = 8110 + index
    token = token_for(index)
    register_token(token, f"fleet{index}_bot")
    env = stack_dir / ".env.prod"
    env.write_text("\n".join(["DB_PATH=/data/organizer.db", f"BOT_TOKEN={token}", "TELEGRAM_API_BASE=http://fake-telegram:8081",
                              "CALENDAR_MODE=NOT_CONFIGURED", "APP_VERSION=v1", f"API_PORT={port}", ""]))
    os.chmod(env, 0o600)
    compose(stack_dir, f"fleet{index}", TODO_FILES, ".env.prod", "up", "-d", "--wait")
    return {"name": name, "stack_name": name, "stack_dir": str(stack_dir), "stack_project": f"fleet{index}",
            "stack_health_url": f"http://127.0.0.1:{port}/health", "port": port}


def remove_host(index: int):
    stack_dir = fleet_dir() / f"fleet-{index}"
    if stack_dir.exists():
        compose(stack_dir, f"fleet{index}", TODO_FILES, ".env.prod", "down", "-v", "--remove-orphans", check=False)
        shutil.rmtree(stack_dir, ignore_errors=True)


def write_inventory(path: Path, hosts: list, sshd: Sshd, extra_host_vars: dict | None = None) -> Path:
    """An inventory adding the fleet hosts to todo_stacks (their group_vars apply) under a `fleet` group.

    Each host backs up to the sandbox's S3 server (group_vars/all.yml turns it on; an inline group var could not turn
    it off, the group_vars files outrank it) under a prefix of its own, so no host moves the todo stack's `latest`.
    """
    extra_host_vars = extra_host_vars or {}
    fleet_hosts = {}
    for host in hosts:
        hv = {k: v for k, v in host.items() if k.startswith("stack_")}
        hv["stack_s3_prefix"] = host["name"]
        hv.update(extra_host_vars.get(host["name"], {}))
        fleet_hosts[host["name"]] = hv
    path.write_text(json.dumps({"all": {"children": {"todo_stacks": {"children": {"fleet": {
        "hosts": fleet_hosts,
        "vars": {**sshd.host_vars(), "stack_bot_ping": True},
    }}}}}}, indent=2))
    return path


def inventory_args(path: Path) -> list:
    return ["-i", str(REPO / "inventories" / "sandbox" / "hosts.yml"), "-i", str(path), "-l", "fleet"]
