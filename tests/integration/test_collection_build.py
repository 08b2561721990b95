"""The collection as it is published: built with ansible-galaxy, installed into a temp path, used by a playbook
that finds it there (not in the checkout)."""
from __future__ import annotations

import json
import tarfile

from conftest import REPO, VENV_BIN, run

COLLECTION = REPO / "collections" / "ansible_collections" / "tgops" / "stack"

PLAY = """
- name: Use the installed collection
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read an env file's keys
      tgops.stack.env_file_info:
        path: "{{ env_path }}"
        required_keys: [BOT_TOKEN, MISSING]
      register: info
    - name: Write a journal entry
      tgops.stack.journal_entry:
        path: "{{ journal_path }}"
        entry_id: built-1
        section: changes
        content: "### Built\\n- cause: {{ {'rc': 1, 'stderr': 'Error: x'} | tgops.stack.failure_cause }}\\n"
    - name: Show what was read
      ansible.builtin.debug:
        msg: "missing={{ info.env.missing_keys | join(',') }}"
    - name: Take the stack lock with the collection's role
      ansible.builtin.include_role:
        name: tgops.stack.stack_lock
        tasks_from: acquire
    - name: Write a runbook entry with the collection's journal role (its templates, its argument spec)
      ansible.builtin.include_role:
        name: tgops.stack.journal
      vars:
        journal_kind: runbook
        journal_entry_id: built-role-1
        journal_data: {name: from-the-installed-collection, steps: [one]}
    - name: Release the stack lock
      ansible.builtin.include_role:
        name: tgops.stack.stack_lock
        tasks_from: release
"""


def test_built_tarball_installs_and_runs(tmp_path):
    out = tmp_path / "dist"
    res = run([VENV_BIN / "ansible-galaxy", "collection", "build", COLLECTION, "--output-path", out], check=True)
    tarball = next(out.glob("tgops-stack-*.tar.gz"))
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    for required in ("README.md", "LICENSE", "CHANGELOG.rst", "meta/runtime.yml", "plugins/modules/stack_lock.py",
                     "roles/backup/tasks/main.yml", "roles/backup/meta/argument_specs.yml", "roles/journal/templates/runbook.md.j2"):
        assert required in names, (required, res)
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/output")]
    assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]
    assert manifest["collection_info"]["version"] == "0.1.0"

    install = tmp_path / "install"
    (tmp_path / "ansible.cfg").write_text(f"[defaults]\ncollections_path = {install}\nstdout_callback = ansible.builtin.default\n")
    env = {"ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(install)}
    res = run([VENV_BIN / "ansible-galaxy", "collection", "install", "--offline", tarball, "-p", install], cwd=tmp_path, env=env, check=True)
    assert (install / "ansible_collections" / "tgops" / "stack" / "MANIFEST.json").is_file(), res
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "app.env").write_text("BOT_TOKEN=x\n")
    res = run([VENV_BIN / "ansible-playbook", "-vvv", "-i", "localhost,", "-c", "local", tmp_path / "play.yml",
               "-e", json.dumps({"env_path": str(tmp_path / "app.env"), "journal_path": str(tmp_path / "J.md"),
                                 "stack_name": "built", "stack_dir": str(tmp_path), "stack_journal_path": str(tmp_path / "J.md"),
                                 "ansible_python_interpreter": str(VENV_BIN / "python")})],
              cwd=tmp_path, env=env)
    assert res.rc == 0, res
    assert "missing=MISSING" in res.stdout
    # The module came from the installed copy: at -vvv the linear strategy prints the module file it used, Mitogen's
    # (STRATEGY=mitogen_linear) the collection its loader found.
    installed = f"{install}/ansible_collections/tgops/stack"
    assert (f"Using module file {installed}/plugins/modules/env_file_info.py" in res.stdout
            or f"Found installed collection tgops.stack:0.1.0 at '{installed}'" in res.stdout), "not the installed copy"
    journal = (tmp_path / "J.md").read_text()
    assert "cause: Error: x (rc=1)" in journal
    assert "<!-- tgops:begin id=built-role-1 -->" in journal and "Runbook: from-the-installed-collection" in journal, journal
    assert f"{install}/ansible_collections/tgops/stack/roles/journal/tasks/main.yml" in res.stdout, "not the installed role"
