"""Host keys are checked: playbooks/known-hosts.yml pins a VPS's SSH host key (real sshd on 127.0.0.1) only when it
matches the fingerprint in the inventory, and SSH with host key checking on then connects; a wrong fingerprint is
refused with nothing written."""
from __future__ import annotations

import json

import pytest
from conftest import VENV_BIN, playbook, run
from fleet import Sshd


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    server = Sshd(tmp_path_factory.mktemp("knownhosts") / "ssh").start()
    yield server
    server.stop()


def fingerprint(sshd) -> str:
    return run(["ssh-keygen", "-lf", sshd.dir / "host_ed25519.pub"], check=True).stdout.split()[1]


def inventory(tmp_path, sshd, prints, known_hosts):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"all": {"hosts": {"vps-test": {
        "ansible_host": "127.0.0.1", "ansible_port": sshd.port, "ansible_user": "root",
        "ansible_ssh_private_key_file": str(sshd.key),
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={known_hosts} -o GlobalKnownHostsFile=/dev/null",
        "ansible_python_interpreter": str(VENV_BIN / "python"),
        "known_hosts_fingerprints": prints, "known_hosts_path": str(known_hosts)}}}}))
    return path


def ping(inv):
    return run([VENV_BIN / "ansible", "-i", inv, "vps-test", "-m", "ansible.builtin.ping"], env={"ANSIBLE_HOST_KEY_CHECKING": "True"})


def test_unknown_host_is_refused_by_ssh(tmp_path, sshd):
    inv = inventory(tmp_path, sshd, [fingerprint(sshd)], tmp_path / "known_hosts")
    res = ping(inv)
    assert res.rc != 0 and "Host key verification failed" in res.output, res


def test_pinned_key_is_written_and_ssh_connects(tmp_path, sshd):
    known = tmp_path / "known_hosts"
    inv = inventory(tmp_path, sshd, [fingerprint(sshd)], known)
    res = playbook("known-hosts.yml", "-i", inv, "--check")
    assert res.rc == 0 and not known.exists(), res
    res = playbook("known-hosts.yml", "-i", inv)
    assert res.rc == 0, res
    assert known.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")
    res = playbook("known-hosts.yml", "-i", inv)
    assert res.rc == 0 and "changed=0" in res.stdout, res
    res = ping(inv)
    assert res.rc == 0 and 'ping: pong' in res.stdout, res


def test_wrong_fingerprint_is_refused_and_nothing_written(tmp_path, sshd):
    known = tmp_path / "known_hosts"
    inv = inventory(tmp_path, sshd, ["SHA256:" + "A" * 43], known)
    res = playbook("known-hosts.yml", "-i", inv)
    assert res.rc != 0 and "matches known_hosts_fingerprints" in res.output and fingerprint(sshd) in res.output, res
    assert not known.exists()


def test_missing_fingerprint_names_the_fix(tmp_path, sshd):
    inv = inventory(tmp_path, sshd, [], tmp_path / "known_hosts")
    res = playbook("known-hosts.yml", "-i", inv)
    assert res.rc != 0 and "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub" in res.output, res
