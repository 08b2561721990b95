"""Issue 7: the AWX project as code loads with the awx.awx modules (against a stateful fake AWX API, twice: the
second run changes nothing), and the execution environment definition builds a context with ansible-builder."""
from __future__ import annotations

import fake_awx
import yaml
from conftest import REPO, VENV_BIN, run

PLAYBOOKS = {p.name for p in (REPO / "playbooks").glob("*.yml")}


class AnsibleLoader(yaml.SafeLoader):
    """SafeLoader that reads Ansible's !unsafe tag as a plain string."""


AnsibleLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def awx_vars() -> dict:
    return yaml.load((REPO / "awx" / "vars.yml").read_text(), Loader=AnsibleLoader)  # noqa: S506 - SafeLoader subclass


def recap_changed(res) -> int:
    line = next(line for line in res.stdout.splitlines() if line.startswith("localhost") and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def test_every_playbook_has_a_job_template_and_the_oncall_survey_picks_the_runbook():
    data = awx_vars()
    templated = {jt["playbook"].split("/")[-1] for jt in data["awx_job_templates"]}
    assert PLAYBOOKS <= templated, PLAYBOOKS - templated
    oncall = next(jt for jt in data["awx_job_templates"] if jt["playbook"] == "playbooks/oncall.yml")
    runbook = next(q for q in oncall["survey"] if q["variable"] == "runbook")
    assert runbook["choices"] == ["diagnose", "bot-not-responding", "notifications-stuck", "no-such-table", "lost-backup"]
    # the survey's choices are the role's
    spec = yaml.safe_load((REPO / "roles" / "incident" / "meta" / "argument_specs.yml").read_text())
    assert spec["argument_specs"]["main"]["options"]["incident_runbook"]["choices"] == runbook["choices"]


def test_configure_loads_into_awx_and_is_idempotent():
    server, state, url = fake_awx.start()
    env = {"CONTROLLER_HOST": url, "CONTROLLER_OAUTH_TOKEN": "fake-token", "CONTROLLER_VERIFY_SSL": "false"}
    try:
        first = run([VENV_BIN / "ansible-playbook", REPO / "awx" / "configure.yml"], env=env)
        assert first.rc == 0, first
        second = run([VENV_BIN / "ansible-playbook", REPO / "awx" / "configure.yml"], env=env)
        assert second.rc == 0 and recap_changed(second) == 0, second
    finally:
        server.shutdown()
    objects = state.objects
    names = {kind: {o["name"] for o in objects[kind].values()} for kind in objects}
    data = awx_vars()
    assert {jt["name"] for jt in data["awx_job_templates"]} == names["job_templates"]
    assert "tgops secret rotation" in names["credential_types"] and "tgops failures" in names["notification_templates"]
    assert len(objects["schedules"]) == len(data["awx_schedules"])
    oncall = next(o for o in objects["job_templates"].values() if o["playbook"] == "playbooks/oncall.yml")
    assert oncall["survey_enabled"] is True
    survey = state.surveys[("job_templates", oncall["id"])]
    assert survey["spec"][0]["variable"] == "runbook"
    error_notified = [k for k, v in state.associations.items() if k[2] == "notification_templates_error" and v]
    assert len(error_notified) == len(data["awx_job_templates"])
    cred_type = next(iter(o for o in objects["credential_types"].values()))
    # the values go into a private file, only its path into the environment
    assert cred_type["injectors"]["env"] == {"TGOPS_NEW_SECRETS_FILE": "{{ tower.filename }}"}
    assert "{{ bot_token" in cred_type["injectors"]["file"]["template"]
    inv_source = next(iter(objects["inventory_sources"].values()))
    assert (REPO / inv_source["source_path"]).is_file()


def test_execution_environment_builds_a_context(tmp_path):
    res = run([VENV_BIN / "ansible-builder", "create", "-f", REPO / "execution-environment.yml", "-c", tmp_path / "context",
               "--output-filename", "Containerfile"], cwd=REPO)
    assert res.rc == 0, res
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    assert "quay.io/ansible/awx-ee" in containerfile and "ansible-core==2.19.14" in containerfile
    build = context / "_build"
    assert "community.docker" in (build / "requirements.yml").read_text()
    python_reqs = (build / "requirements.txt").read_text()
    assert "docker==" in python_reqs and "boto3==" in python_reqs
    assert "zstd" in (build / "bindep.txt").read_text()
