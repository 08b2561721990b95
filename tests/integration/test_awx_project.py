"""Issues 7 and 14: the AWX project as code loads with the awx.awx modules (against a stateful fake AWX API that
validates credential types, credentials and template credentials as AWX does; twice: the second run changes
nothing), every template gets the Machine credential, S3 keys come from a credential, a deploy targets one stack,
and the execution environment definition builds a context with ansible-builder."""
from __future__ import annotations

import fake_awx
import pytest
import yaml
from conftest import REPO, VENV_BIN, run

# Playbooks without a job template, and why.
NOT_IN_AWX = {
    # pins host keys in the controller's ~/.ssh/known_hosts; an AWX job's EE keeps no such file between jobs
    "known-hosts.yml",
    # prepares a bare VPS once, before AWX can reach it with the venv the inventory names (it runs with /usr/bin/python3)
    "host-setup.yml",
}
PLAYBOOKS = {p.name for p in (REPO / "playbooks").glob("*.yml")} - NOT_IN_AWX
# Planted credential values: they must reach AWX and never appear in any output.
SECRETS = {
    "TGOPS_AWX_S3_ACCESS_KEY": "AKIAPLANTEDACCESS0001",
    "TGOPS_AWX_S3_SECRET_KEY": "planted/secret+key=0001",
}
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAplantedsshkey0001\n-----END OPENSSH PRIVATE KEY-----\n"
S3_TEMPLATES = {"tgops daily check", "tgops backup", "tgops restore verify", "tgops lost-backup runbook", "tgops on-call",
                "tgops rotate secrets"}


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


@pytest.fixture
def awx_env(tmp_path):
    key = tmp_path / "deploy_key"
    key.write_text(SSH_KEY)
    key.chmod(0o600)
    return {"TGOPS_AWX_SSH_KEY_FILE": str(key), "TGOPS_AWX_S3_BUCKET": "tgops-backups",
            "TGOPS_AWX_S3_ENDPOINT_URL": "https://s3.example.invalid", "TGOPS_AWX_S3_REGION": "", **SECRETS}


def test_configure_loads_into_awx_and_is_idempotent(awx_env):
    server, state, url = fake_awx.start()
    env = {"CONTROLLER_HOST": url, "CONTROLLER_OAUTH_TOKEN": "fake-token", "CONTROLLER_VERIFY_SSL": "false", **awx_env}
    try:
        first = run([VENV_BIN / "ansible-playbook", REPO / "awx" / "configure.yml"], env=env)
        assert first.rc == 0, first
        second = run([VENV_BIN / "ansible-playbook", REPO / "awx" / "configure.yml", "-v"], env=env)
        assert second.rc == 0 and recap_changed(second) == 0, second
    finally:
        server.shutdown()
    for res in (first, second):
        for value in [*SECRETS.values(), "plantedsshkey0001"]:
            assert value not in res.output, f"a credential value leaked into the output of {res.cmd}"
    objects = state.objects
    names = {kind: {o["name"] for o in objects[kind].values()} for kind in objects}
    data = awx_vars()
    assert {jt["name"] for jt in data["awx_job_templates"]} == names["job_templates"]
    assert {"tgops secret rotation", "tgops S3 backup store"} <= names["credential_types"]
    assert "tgops failures" in names["notification_templates"]
    assert len(objects["schedules"]) == len(data["awx_schedules"])
    oncall = next(o for o in objects["job_templates"].values() if o["playbook"] == "playbooks/oncall.yml")
    assert oncall["survey_enabled"] is True
    survey = state.surveys[("job_templates", oncall["id"])]
    assert survey["spec"][0]["variable"] == "runbook"
    error_notified = [k for k, v in state.associations.items() if k[2] == "notification_templates_error" and v]
    assert len(error_notified) == len(data["awx_job_templates"])
    cred_type = next(o for o in objects["credential_types"].values() if o["name"] == "tgops secret rotation")
    # the values go into a private file, only its path into the environment
    assert cred_type["injectors"]["env"] == {"TGOPS_NEW_SECRETS_FILE": "{{ tower.filename }}"}
    assert "q(bot_token)" in cred_type["injectors"]["file"]["template"]
    inv_source = next(iter(objects["inventory_sources"].values()))
    assert (REPO / inv_source["source_path"]).is_file()

    # the credentials hold what the environment gave, secrets stored as sent
    creds = {o["name"]: o for o in objects["credentials"].values()}
    machine, s3 = creds["tgops deploy SSH"], creds["tgops S3 backup store"]
    assert objects["credential_types"][machine["credential_type"]]["name"] == "Machine"
    assert machine["inputs"] == {"username": "deploy", "become_method": "sudo", "ssh_key_data": SSH_KEY.rstrip("\n")}
    assert s3["inputs"] == {"bucket": "tgops-backups", "endpoint_url": "https://s3.example.invalid", "region": "us-east-1",
                            "access_key": SECRETS["TGOPS_AWX_S3_ACCESS_KEY"], "secret_key": SECRETS["TGOPS_AWX_S3_SECRET_KEY"]}
    # every template reaches the hosts with the Machine credential; the S3 ones also get the store
    for jt in objects["job_templates"].values():
        attached = {objects["credentials"][c]["name"] for c in state.associations.get(("job_templates", jt["id"], "credentials"), [])}
        expected = {"tgops deploy SSH"} | ({"tgops S3 backup store"} if jt["name"] in S3_TEMPLATES else set())
        assert attached == expected, (jt["name"], attached)
    # a deploy targets one stack group, fixed; every other template asks for a limit
    deploys = [jt for jt in objects["job_templates"].values() if jt["playbook"] == "playbooks/deploy.yml"]
    assert len(deploys) == len(stack_groups()) and {jt["limit"] for jt in deploys} == set(stack_groups())
    for jt in objects["job_templates"].values():
        assert jt["ask_limit_on_launch"] is (jt["playbook"] != "playbooks/deploy.yml"), jt["name"]


def stack_groups() -> dict:
    """Groups of the production inventory -> the stack_name their group_vars set."""
    inv = yaml.safe_load((REPO / "inventories" / "production" / "hosts.yml").read_text())
    groups = {}
    for group in inv["all"]["children"]:
        group_vars = yaml.safe_load((REPO / "inventories" / "production" / "group_vars" / f"{group}.yml").read_text())
        groups[group] = group_vars["stack_name"]
    return groups


def test_the_deploy_survey_never_reaches_every_stack():
    data = awx_vars()
    groups = stack_groups()
    with_version = [jt for jt in data["awx_job_templates"]
                    if any(q["variable"] == "deploy_version" for q in jt.get("survey", []))]
    assert with_version
    for jt in with_version:
        # a fixed limit naming one stack group, and no limit prompt (configure.yml asks only without a limit)
        assert jt.get("limit") in groups, jt
    assert sorted(groups[jt["limit"]] for jt in with_version) == sorted(set(groups.values()))


def test_configure_refuses_without_the_credential_values_and_changes_nothing(awx_env):
    server, state, url = fake_awx.start()
    env = {"CONTROLLER_HOST": url, "CONTROLLER_OAUTH_TOKEN": "fake-token", "CONTROLLER_VERIFY_SSL": "false",
           **awx_env, "TGOPS_AWX_S3_SECRET_KEY": "", "TGOPS_AWX_SSH_KEY_FILE": ""}
    try:
        res = run([VENV_BIN / "ansible-playbook", REPO / "awx" / "configure.yml"], env=env)
    finally:
        server.shutdown()
    assert res.rc != 0, res
    assert "TGOPS_AWX_SSH_KEY_FILE, TGOPS_AWX_S3_SECRET_KEY" in res.output, res
    assert SECRETS["TGOPS_AWX_S3_ACCESS_KEY"] not in res.output
    assert not any(state.objects[k] for k in ("projects", "credentials", "job_templates")), "changed AWX before refusing"


def test_execution_environment_builds_a_context(tmp_path):
    res = run([VENV_BIN / "ansible-builder", "create", "-f", REPO / "execution-environment.yml", "-c", tmp_path / "context",
               "--output-filename", "Containerfile"], cwd=REPO)
    assert res.rc == 0, res
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    # a local base (no registry), parameterised; pip reads only the wheels copied into the build (make ee, test_ee.py)
    assert 'ARG EE_BASE_IMAGE="tgops-sandbox/ee-base:bookworm"' in containerfile and "ansible-core==2.19.14" in containerfile
    assert "quay.io" not in containerfile and "PIP_NO_INDEX=1" in containerfile
    build = context / "_build"
    python_reqs = (build / "requirements.txt").read_text()
    assert "docker==" in python_reqs and "boto3==" in python_reqs
    assert "zstd" in (build / "bindep.txt").read_text()
