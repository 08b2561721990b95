"""Issue 6: rotate-secrets.yml on the real sandbox: four rotations, refusals, a forced rollback, no value leaked anywhere."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import tarfile
import time
import urllib.request

import pytest
from conftest import PLANTED, REPO, S3_BUCKET, VENV_BIN, compose, playbook, run, s3_client, sandbox_root, scan_for_secrets

SPRINT = ["-l", "sprint_stacks"]
FAKE_TG = "http://127.0.0.1:8081"
NEW_BOT_TOKEN = "7200012345:PLANTEDnewSprintTokenYYYYYYYYYYYYYY"
OTHER_BOT_TOKEN = "7300000001:PLANTEDotherBotTokenZZZZZZZZZZZZZZZ"
NEW_S3_ACCESS = "PLANTEDNEWS3ACCESS02"
NEW_S3_SECRET = "PLANTEDnewS3SecretKey9876543210fedcba"
NEW_PG_PASSWORD = "PLANTEDnewPgPassw0rd2026xyz"
FORCED_PG_PASSWORD = "PLANTEDforcedPgPassw0rd77"
NEW_SA_KEY_BODY = "PLANTEDgoogleKeyMaterialQUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
OUTPUTS: list[str] = []
RUNNER_ARTIFACTS: list = []


def new_sa(email="sprint-bot@tgops-sandbox.iam.gserviceaccount.com", **over):
    data = {"type": "service_account", "project_id": "tgops-sandbox", "private_key_id": "0" * 40,
            "private_key": f"-----BEGIN PRIVATE KEY-----\n{NEW_SA_KEY_BODY}\n-----END PRIVATE KEY-----\n",
            "client_email": email, "client_id": "100000000000000000001", "token_uri": "https://oauth2.googleapis.com/token"}
    data.update(over)
    return json.dumps(data)


def rotate(*args, extra_vars=None, env=None):
    res = playbook("rotate-secrets.yml", *SPRINT, "-vvv", *args, extra_vars=extra_vars, env=env)
    OUTPUTS.append(res.output)
    return res


def recap_changed(res) -> int:
    line = next(line for line in res.stdout.splitlines() if line.startswith("sprint-sandbox") and "changed=" in line)
    return int(line.split("changed=")[1].split()[0])


def env_of(sprint_dir) -> dict:
    return dict(line.split("=", 1) for line in (sprint_dir / ".env").read_text().splitlines() if "=" in line and not line.startswith("#"))


def container_ids() -> str:
    return run(["docker", "ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=sprint"], check=True).stdout


def alembic_current(sprint_dir):
    return compose(sprint_dir, "sprint", ["docker-compose.yml", "docker-compose.override.yml"], ".env",
                   "run", "--rm", "--no-deps", "-T", "sprint-bot", "alembic", "current", check=False)


def healthy() -> bool:
    try:
        return urllib.request.urlopen("http://127.0.0.1:8102/health", timeout=5).status == 200
    except OSError:
        return False


def register_token(token, bot_id, username):
    body = json.dumps({"token": token, "bot_id": bot_id, "username": username}).encode()
    req = urllib.request.Request(f"{FAKE_TG}/_admin/tokens", data=body, headers={"Content-Type": "application/json"})
    assert urllib.request.urlopen(req, timeout=5).status == 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def sprint(sandbox, s3):
    register_token(NEW_BOT_TOKEN, 7200012345, "sprint_sandbox_bot")
    register_token(OTHER_BOT_TOKEN, 7300000001, "someone_else_bot")
    return sandbox / "sprint"


@pytest.fixture(scope="module")
def strict_s3():
    """A second S3 server that checks signatures: every request with unknown keys is rejected (InvalidAccessKeyId)."""
    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="0")
    proc = subprocess.Popen([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_check_mode_shows_what_would_change_and_changes_nothing(sprint):
    env_before, ids = (sprint / ".env").read_text(), container_ids()
    sa_before = (sprint / "secrets" / "google-sa.json").read_text()
    res = rotate("--check", "--diff", extra_vars={
        "rotate_secrets_kinds": "bot_token,s3_keys,google_sa,postgres_password",
        "rotate_secrets_bot_token": NEW_BOT_TOKEN, "rotate_secrets_s3_access_key": NEW_S3_ACCESS,
        "rotate_secrets_s3_secret_key": NEW_S3_SECRET, "rotate_secrets_google_sa_json": new_sa(),
        "rotate_secrets_postgres_password": NEW_PG_PASSWORD})
    assert res.rc == 0, res
    assert "would rotate BOT_TOKEN" in res.stdout and "S3_ACCESS_KEY" in res.stdout and "POSTGRES_PASSWORD" in res.stdout
    assert "restart sprint-bot" in res.stdout
    assert (sprint / ".env").read_text() == env_before and container_ids() == ids
    assert (sprint / "secrets" / "google-sa.json").read_text() == sa_before


def test_token_of_another_bot_is_refused(sprint):
    env_before = (sprint / ".env").read_text()
    res = rotate(extra_vars={"rotate_secrets_kinds": "bot_token", "rotate_secrets_bot_token": OTHER_BOT_TOKEN})
    assert res.rc != 0 and "belongs to bot 7300000001" in res.output and "nothing was changed" in res.output, res
    assert (sprint / ".env").read_text() == env_before


def test_bot_token_rotation(sprint):
    res = rotate(extra_vars={"rotate_secrets_kinds": ["bot_token"]}, env={"TGOPS_NEW_BOT_TOKEN": NEW_BOT_TOKEN})
    assert res.rc == 0, res
    assert env_of(sprint)["BOT_TOKEN"] == NEW_BOT_TOKEN and healthy()
    backups = sorted(sprint.glob(".env.*.bak"))
    assert backups and all(oct(b.stat().st_mode & 0o777) == "0o600" for b in backups)
    assert oct((sprint / ".env").stat().st_mode & 0o777) == "0o600"
    journal = (sprint / "OPS_JOURNAL.md").read_text()
    assert "Rotation of `BOT_TOKEN`" in journal and "/ping answered" in journal
    res = rotate(extra_vars={"rotate_secrets_kinds": ["bot_token"]}, env={"TGOPS_NEW_BOT_TOKEN": NEW_BOT_TOKEN})
    assert res.rc == 0 and recap_changed(res) == 0, res


def test_s3_keys_the_server_rejects_are_refused(sprint, strict_s3):
    env_before = (sprint / ".env").read_text()
    res = rotate(extra_vars={"rotate_secrets_kinds": "s3_keys", "rotate_secrets_s3_access_key": NEW_S3_ACCESS,
                             "rotate_secrets_s3_secret_key": NEW_S3_SECRET, "rotate_secrets_s3_endpoint_url": strict_s3})
    assert res.rc != 0 and "The new S3 keys are refused" in res.output and "InvalidAccessKeyId" in res.output, res
    assert (sprint / ".env").read_text() == env_before


def test_s3_keys_rotation_with_a_backup_smoke_test(sprint):
    client = s3_client()
    before = {o["Key"] for o in client.list_objects_v2(Bucket=S3_BUCKET, Prefix="sprint-bot/").get("Contents", [])}
    extra = {"rotate_secrets_kinds": "s3_keys", "rotate_secrets_s3_access_key": NEW_S3_ACCESS, "rotate_secrets_s3_secret_key": NEW_S3_SECRET}
    res = rotate(extra_vars=extra)
    assert res.rc == 0, res
    env = env_of(sprint)
    assert env["S3_ACCESS_KEY"] == NEW_S3_ACCESS and env["S3_SECRET_KEY"] == NEW_S3_SECRET
    after = {o["Key"] for o in client.list_objects_v2(Bucket=S3_BUCKET, Prefix="sprint-bot/").get("Contents", [])}
    assert any(k.endswith(".tar.zst") or k.endswith(".tar.gz") for k in after - before), after - before
    assert not any(k.endswith(".tgops-key-probe") for k in after)
    res = rotate(extra_vars=extra)
    assert res.rc == 0 and recap_changed(res) == 0, res


def test_malformed_key_file_is_refused(sprint):
    sa_before = (sprint / "secrets" / "google-sa.json").read_text()
    for bad, needle in ((new_sa()[:-20], "not JSON"), (new_sa(private_key=""), "missing field private_key"),
                        (new_sa(email="intruder@evil.iam.gserviceaccount.com"), "differs from the current key")):
        res = rotate(extra_vars={"rotate_secrets_kinds": "google_sa", "rotate_secrets_google_sa_json": bad})
        assert res.rc != 0 and needle in res.output and "Nothing was changed" in res.output, res
    assert (sprint / "secrets" / "google-sa.json").read_text() == sa_before


def test_google_sa_rotation(sprint, tmp_path):
    src = tmp_path / "new-sa.json"
    src.write_text(new_sa())
    res = rotate(extra_vars={"rotate_secrets_kinds": "google_sa"}, env={"TGOPS_NEW_GOOGLE_SA_FILE": str(src)})
    assert res.rc == 0, res
    key_file = sprint / "secrets" / "google-sa.json"
    assert NEW_SA_KEY_BODY in key_file.read_text() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert list((sprint / "secrets").glob("google-sa.json.*.bak")) and healthy()
    res = rotate(extra_vars={"rotate_secrets_kinds": "google_sa"}, env={"TGOPS_NEW_GOOGLE_SA_FILE": str(src)})
    assert res.rc == 0 and recap_changed(res) == 0, res


def test_db_url_the_app_cannot_use_is_rolled_back(sprint):
    env_before = (sprint / ".env").read_text()
    # Forced: DB_URL is left out of the URLs to update, so after ALTER ROLE the app holds the old password.
    res = rotate(extra_vars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": FORCED_PG_PASSWORD,
                             "rotate_secrets_postgres_url_variables": [], "rotate_secrets_health_timeout": 20})
    assert res.rc != 0 and "rolled back" in res.output, res
    assert (sprint / ".env").read_text() == env_before
    assert alembic_current(sprint).rc == 0 and healthy()
    journal = (sprint / "OPS_JOURNAL.md").read_text()
    assert "Rotation of POSTGRES_PASSWORD on sprint rolled back" in journal


def test_postgres_password_rotation(sprint):
    extra = {"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": NEW_PG_PASSWORD}
    res = rotate(extra_vars=extra)
    assert res.rc == 0, res
    env = env_of(sprint)
    assert env["POSTGRES_PASSWORD"] == NEW_PG_PASSWORD and f":{NEW_PG_PASSWORD}@" in env["DB_URL"]
    assert alembic_current(sprint).rc == 0 and healthy()
    res = rotate(extra_vars=extra)
    assert res.rc == 0 and recap_changed(res) == 0, res


def test_weak_password_is_refused(sprint):
    res = rotate(extra_vars={"rotate_secrets_kinds": "postgres_password", "rotate_secrets_postgres_password": "short1A"})
    assert res.rc != 0 and "shorter than 20 characters" in res.output, res


def test_rotation_run_by_ansible_runner_as_awx_does(sprint, tmp_path):
    """The new value in a private file named by TGOPS_NEW_SECRETS_FILE (the AWX credential type's way), verbose."""
    import ansible_runner

    values = tmp_path / "secrets.yml"
    values.write_text(f"bot_token: {NEW_BOT_TOKEN}\n")
    values.chmod(0o600)

    r = ansible_runner.run(private_data_dir=str(tmp_path), project_dir=str(REPO), playbook=str(REPO / "playbooks" / "rotate-secrets.yml"),
                           inventory=str(REPO / "inventories" / "sandbox" / "hosts.yml"), limit="sprint_stacks",
                           extravars={"rotate_secrets_kinds": "bot_token"}, verbosity=3, quiet=True,
                           envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "TGOPS_SANDBOX_ROOT": str(sandbox_root()),
                                    "TGOPS_NEW_SECRETS_FILE": str(values)})
    assert r.rc == 0, r.stdout.read()
    assert r.stats["changed"].get("sprint-sandbox", 0) == 0, r.stats  # the token is in place already: no change
    RUNNER_ARTIFACTS.append(tmp_path / "artifacts")


def test_no_value_leaks_anywhere(sprint, tmp_path):
    values = list(PLANTED.values()) + [NEW_BOT_TOKEN, OTHER_BOT_TOKEN, NEW_S3_ACCESS, NEW_S3_SECRET, NEW_PG_PASSWORD,
                                       FORCED_PG_PASSWORD, NEW_SA_KEY_BODY]
    assert len(OUTPUTS) >= 10
    places = [sprint / "OPS_JOURNAL.md", *sprint.glob("OPS_JOURNAL*.jsonl")]
    # the archive of the backup smoke test (and every other archive of the run), unpacked
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    for archive in (sandbox_root() / "backups" / "sprint").glob("*.tar.*"):
        if archive.name.endswith(".sha256") or archive.is_symlink():  # latest.* links name an archive scanned already
            continue
        dest = unpacked / archive.name
        dest.mkdir()
        if archive.name.endswith(".zst"):
            run(["tar", "--zstd", "-xf", archive, "-C", dest], check=True)
        else:
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
    places.append(unpacked)
    places.extend(RUNNER_ARTIFACTS)  # job events, stdout, command of the ansible-runner run
    names = "\n".join(str(p) for p in sprint.rglob("*"))
    hits = scan_for_secrets(*places, texts=OUTPUTS + [names], values=values)
    assert hits == [], hits
    assert list(unpacked.iterdir()), "no archive was scanned"
    assert RUNNER_ARTIFACTS and any(p.is_file() for p in RUNNER_ARTIFACTS[0].rglob("*")), "no runner artifact was scanned"
