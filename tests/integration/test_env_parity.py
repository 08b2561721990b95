"""Env values read exactly as Compose v2 reads them: the collection's tokenizer against the real `docker compose`.

Table-driven: for each tricky line the value our modules use equals the value `docker compose config` resolves
and the value the running container gets; a secret edit of a tricky value (tgops.stack.secret_file) round-trips
byte for byte into the container.
"""
from __future__ import annotations

import json
import sys

import pytest
from conftest import REPO, module, run

sys.path.insert(0, str(REPO / "collections"))
from ansible_collections.tgops.stack.plugins.module_utils.dotenv import dotenv_pairs  # noqa: E402

PROJECT = "tgops-envparity"
IMAGE = "tgops-sandbox/base:bookworm"

# name -> the line as a person (or another tool) wrote it
LINES = {
    "DQ_ESCAPES": r'"Abc\$def\"ghi\\jkl"',
    "DQ_DOLLARS": '"a$$b"',
    "DQ_NEWLINE_ESC": r'"x\ny"',
    "DQ_UNKNOWN_ESC": r'"x\q"',
    "DQ_REF": '"${BARE_REF}-${MISSING:-dflt}"',
    "SQ_LITERAL": "'it \"works\" $HOME # here'",
    "SQ_BACKSLASHES": r"'a\b\\c'",
    "SQ_ESCAPED_QUOTE": r"'it\'s'",
    "BARE_REF": "a$$b",
    "BARE_COMMENT": "value # a comment",
    "BARE_TAB_HASH": "val\t#tab",
    "BARE_HASH_ONLY": " # nothing here",
    "MULTI": '"line one\nline two"',
}
SECRETS = ['Abc$def"ghi\\jkl', "it's $HOME", "a b # c", "$$", "${X:-y}", "\\", "'\\'", 'q"\\$\'', "#start", "x\\"]


@pytest.fixture(scope="module")
def project(docker_engine, tmp_path_factory):
    root = tmp_path_factory.mktemp("envparity")
    (root / "docker-compose.yml").write_text(
        f"services:\n  app:\n    image: {IMAGE}\n    pull_policy: never\n    env_file: [app.env]\n    command: [sleep, infinity]\n")
    yield root
    run(["docker", "compose", "--project-directory", root, "-p", PROJECT, "down", "-t", "0"])


def compose(root, *args, check=True):
    return run(["docker", "compose", "--project-directory", root, "-p", PROJECT, *args], check=check)


def config_env(root) -> dict:
    env = json.loads(compose(root, "config", "--format", "json").stdout)["services"]["app"]["environment"]
    return {k: v.replace("$$", "$") for k, v in env.items()}  # `config` prints a literal $ as $$


def container_env(root, keys) -> dict:
    compose(root, "up", "-d", "--force-recreate", "--wait")
    script = "for k in \"$@\"; do printf '%s\\0' \"$(printenv \"$k\")\"; done"
    out = compose(root, "exec", "-T", "app", "sh", "-c", script, "sh", *keys).stdout
    return dict(zip(keys, out.split("\0")[:-1], strict=True))


def test_every_tricky_line_reads_as_compose_and_the_container_read_it(project):
    text = "".join(f"{k}={v}\n" for k, v in LINES.items())
    (project / "app.env").write_text(text)
    ours = dict(dotenv_pairs(text, {}))
    assert set(ours) == set(LINES)
    assert ours == config_env(project)
    inside = container_env(project, [k for k in LINES if k != "MULTI"])  # printenv and $(...) strip a trailing newline only
    assert inside == {k: ours[k] for k in inside}
    assert ours["DQ_ESCAPES"] == 'Abc$def"ghi\\jkl' and ours["BARE_HASH_ONLY"] == "# nothing here"


def test_a_secret_edit_round_trips_byte_for_byte(project):
    env_file = project / "app.env"
    env_file.write_text("OTHER=1\n" + "".join(f"SECRET_{i}=old\n" for i in range(len(SECRETS))))
    env_file.chmod(0o600)
    wanted = {f"SECRET_{i}": value for i, value in enumerate(SECRETS)}
    res, out = module("tgops.stack.secret_file", {"path": str(env_file), "env": wanted})
    assert out.get("changed") and not out.get("failed"), res
    assert {k: v for k, v in config_env(project).items() if k in wanted} == wanted
    assert container_env(project, list(wanted)) == wanted
    res, out = module("tgops.stack.secret_file", {"path": str(env_file), "env": wanted})
    assert not out.get("changed") and not out.get("failed"), res
