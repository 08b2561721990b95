"""No secret in any output, on any failure path.

Secrets with quotes, `$` and backslashes are planted in both stacks' env files (written the way Compose reads them),
then the failure paths run with -vvv: a broken Compose file, an env value Compose refuses to interpolate, a failed
rotation of each kind, a failed restore, a failed deploy (rolled back), one of them through ansible-runner as AWX
runs jobs. Every output, the runner artifacts, both journals and their JSONL, every archive (unpacked), every file
name in the stack dirs and the db container's own log are scanned: 0 hits.
"""
from __future__ import annotations

import json
import tarfile

import pytest
from conftest import NO_REHEARSAL, PLANTED, REPO, TODO, module, playbook, run, sandbox_root, scan_for_secrets

TRICKY_PG = "PLANTEDmx\"Pa$sw\\rd'42Zq"
TRICKY_TODO = "PLANTEDtodo\"Se$cr\\et 'x'"
TRICKY_SPRINT = "PLANTEDsprintDsn\"$HOME\\q"
BROKEN_TEMPLATE = "PLANTEDbrokenTpl${oops"
OTHER_TOKEN = "7300000001:PLANTEDotherBotTokenZZZZZZZZZZZZZZZ"
OUTPUTS: list[str] = []
ARTIFACTS: list = []
VALUES = list(PLANTED.values()) + [TRICKY_PG, TRICKY_TODO, TRICKY_SPRINT, BROKEN_TEMPLATE, OTHER_TOKEN,
                                   "PLANTEDbadS3Secret\"$x\\y", "PLANTEDforcedPg\"Pw$1\\Zz99"]


def pb(name, *args, extra_vars=None, env=None):
    res = playbook(name, "-vvv", *args, extra_vars=extra_vars, env=env)
    OUTPUTS.append(res.output)
    return res


@pytest.fixture(scope="module")
def planted(sandbox, s3):
    todo, sprint = sandbox / "todo", sandbox / "sprint"
    for path, key, value in ((todo / ".env.prod", "TGOPS_MATRIX_SECRET", TRICKY_TODO),
                             (sprint / ".env", "SENTRY_DSN", TRICKY_SPRINT)):
        res, out = module("tgops.stack.secret_file", {"path": str(path), "env": {key: value}})
        assert not out.get("failed"), res
    res = pb("rotate-secrets.yml", "-l", "sprint_stacks",
             extra_vars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": TRICKY_PG})
    assert res.rc == 0, res
    body = json.dumps({"token": OTHER_TOKEN, "bot_id": 7300000001, "username": "someone_else_bot"})
    run(["curl", "-fsS", "-X", "POST", "-H", "Content-Type: application/json", "-d", body, "http://127.0.0.1:8081/_admin/tokens"], check=True)
    return {"todo": todo, "sprint": sprint}


def test_broken_compose_file(planted):
    override = planted["todo"] / TODO["files"][1]
    good = override.read_text()
    override.write_text(good + "\n  this is: [not yaml\n")
    try:
        for name in ("stack-info.yml", "daily-check.yml", "deploy.yml"):
            res = pb(name, "-l", "todo_stacks")
            assert res.rc != 0, res
    finally:
        override.write_text(good)


def test_env_value_compose_refuses_to_interpolate(planted):
    env = planted["todo"] / ".env.prod"
    good = env.read_text()
    env.write_text(good + f'TGOPS_MATRIX_BROKEN="{BROKEN_TEMPLATE}"\n')
    try:
        res = pb("stack-info.yml", "-l", "todo_stacks")
        assert res.rc != 0 and "Invalid template" in res.output, res
    finally:
        env.write_text(good)


@pytest.mark.parametrize("kind, extra", [
    ("bot_token", {"rotate_secrets_bot_token": OTHER_TOKEN}),
    ("s3_keys", {"rotate_secrets_s3_access_key": "PLANTEDBADACCESSKEY1", "rotate_secrets_s3_secret_key": "PLANTEDbadS3Secret\"$x\\y",
                 "rotate_secrets_s3_endpoint_url": "http://127.0.0.1:9"}),
    ("google_sa", {"rotate_secrets_google_sa_json": '{"type": "service_account", "private_key": "PLANTEDnotAKey"}'}),
    ("postgres_password", {"rotate_secrets_postgres_password": "PLANTEDforcedPg\"Pw$1\\Zz99", "rotate_secrets_postgres_url_variables": [],
                           "rotate_secrets_health_timeout": 20}),
])
def test_failed_rotation_of_each_kind(planted, kind, extra):
    res = pb("rotate-secrets.yml", "-l", "sprint_stacks", extra_vars={"rotate_secrets_kinds": kind, **extra})
    assert res.rc != 0, res


def test_failed_restore(planted):
    res = pb("restore.yml", "-l", "sprint_stacks", extra_vars={"restore_source": "local", "restore_archive": "sprint-20000101T000000Z.tar.gz"})
    assert res.rc != 0, res
    res = pb("restore.yml", "-l", "sprint_stacks", extra_vars={"restore_mode": "production", "restore_confirm": "sprint",
                                                               "restore_source": "local", "restore_archive": "sprint-20000101T000000Z.tar.gz"})
    assert res.rc != 0, res


def test_failed_deploy_rolled_back(planted):
    res = pb("deploy.yml", "-l", "todo_stacks", extra_vars={"deploy_version": "broken", "deploy_health_timeout": 30, **NO_REHEARSAL})
    assert res.rc != 0 and "rolled back" in res.output.lower(), res


def test_failed_rotation_through_ansible_runner(planted, tmp_path):
    import ansible_runner

    (tmp_path / "runner").mkdir()
    values = tmp_path / "secrets.yml"
    values.write_text(json.dumps({"postgres_password": "PLANTEDforcedPg\"Pw$1\\Zz99"}))
    values.chmod(0o600)
    r = ansible_runner.run(private_data_dir=str(tmp_path / "runner"), project_dir=str(REPO),
                           playbook=str(REPO / "playbooks" / "rotate-secrets.yml"),
                           inventory=str(REPO / "inventories" / "sandbox" / "hosts.yml"), limit="sprint_stacks",
                           extravars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_url_variables": [],
                                      "rotate_secrets_health_timeout": 20},
                           verbosity=3, quiet=True,
                           envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "TGOPS_SANDBOX_ROOT": str(sandbox_root()),
                                    "TGOPS_NEW_SECRETS_FILE": str(values)})
    assert r.rc != 0
    ARTIFACTS.append(tmp_path / "runner" / "artifacts")


def test_no_planted_value_anywhere(planted, tmp_path):
    assert len(OUTPUTS) >= 12 and ARTIFACTS
    places = list(ARTIFACTS)
    for stack in ("todo", "sprint"):
        places += [planted[stack] / "OPS_JOURNAL.md", *planted[stack].glob("OPS_JOURNAL*.jsonl")]
    unpacked = tmp_path / "unpacked"
    for archive in sorted((sandbox_root() / "backups").rglob("*.tar.*")):
        if archive.name.endswith(".sha256") or archive.is_symlink() or not archive.is_file():
            continue  # latest.* links point at an archive scanned under its own name
        dest = unpacked / archive.name
        dest.mkdir(parents=True)
        if archive.name.endswith(".zst"):
            run(["tar", "--zstd", "-xf", archive, "-C", dest], check=True)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
    assert unpacked.exists() and any(unpacked.iterdir()), "no archive was scanned"
    places.append(unpacked)
    names = "\n".join(str(p) for stack in ("todo", "sprint") for p in planted[stack].rglob("*"))
    db_log = run(["docker", "logs", "sprint-db-1"]).output
    hits = scan_for_secrets(*places, texts=OUTPUTS + [names, db_log], values=VALUES)
    assert hits == [], hits
