"""Issue 14: the credential types of awx/ are ones AWX accepts and injects correctly.

AWX validates a credential type's injectors by rendering every template with
jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=StrictUndefined), Jinja's builtin filters only and every input
field set; at job time it renders them with the same sandbox (default Undefined) and only the fields that have a value.
These tests do both with the real Jinja sandbox, check that the fake AWX API refuses what AWX refuses, and prove that
the rotation file injector writes a YAML file from which the rotate_secrets role's from_yaml reads every value back
byte for byte. No Docker, no network beyond loopback.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import fake_awx
import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import from_yaml
from conftest import REPO
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from test_awx_project import awx_vars

ROTATION = "tgops secret rotation"
ROTATION_KEYS = ["bot_token", "s3_access_key", "s3_secret_key", "google_sa_json", "postgres_password"]
# The file injector awx/vars.yml had before issue 14: AWX refuses it (to_json is an Ansible filter).
OLD_ROTATION_TEMPLATE = "bot_token: {{ bot_token | default('') | to_json }}\n"


def credential_types() -> list:
    return awx_vars()["awx_credential_types"]


def injector_templates(injectors: dict):
    """(type, key, template) of every template AWX renders: file and env values, extra_vars keys and values."""
    for type_, injector in injectors.items():
        if type_ != "extra_vars":
            for key, tmpl in injector.items():
                yield type_, key, tmpl
            continue
        stack = [(None, injector)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    yield "extra_vars", f"key of {path}", k
                    stack.append((k if path is None else f"{path}.{k}", v))
            elif isinstance(node, list):
                stack.extend((f"{path}[{i}]", x) for i, x in enumerate(node))
            else:
                yield "extra_vars", path, node


class Tower:
    filename = "EXAMPLE_FILENAME"


def render_strict(template: str, fields: list) -> str:
    """AWX's check on save: every field defined, strict undefined, Jinja's builtin filters only."""
    namespace = {f["id"]: "EXAMPLE" for f in fields}
    namespace["tower"] = Tower()
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)


def render_at_job_time(template: str, values: dict) -> str:
    """AWX at job time: the same sandbox, default Undefined, only the fields that have a value."""
    namespace = {k: v for k, v in values.items() if v != ""}
    namespace["tower"] = Tower()
    return ImmutableSandboxedEnvironment().from_string(template).render(**namespace)


def rotation_template() -> str:
    cred_type = next(t for t in credential_types() if t["name"] == ROTATION)
    return cred_type["injectors"]["file"]["template"]


def post(url: str, path: str, body: dict, verb: str = "POST") -> tuple[int, dict]:
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method=verb,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback fake
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def awx():
    server, state, url = fake_awx.start()
    yield state, url
    server.shutdown()


def test_every_injector_of_awx_renders_in_the_awx_sandbox():
    types = credential_types()
    assert {t["name"] for t in types} >= {ROTATION, "tgops S3 backup store"}
    rendered = 0
    for cred_type in types:
        fields = cred_type["inputs"]["fields"]
        for type_, key, tmpl in injector_templates(cred_type["injectors"]):
            try:
                render_strict(tmpl, fields)
            except jinja2.TemplateError as exc:  # an Ansible filter, an undefined name, unsafe code
                pytest.fail(f"AWX refuses the {type_} injector {key} of {cred_type['name']!r}: {exc!r}")
            rendered += 1
        # and the fake AWX judges it the same way
        assert fake_awx.injector_errors(cred_type["inputs"], cred_type["injectors"]) == [], cred_type["name"]
    assert rendered >= 8


def test_the_fake_awx_refuses_an_ansible_filter_in_an_injector(awx):
    _, url = awx
    fields = {"fields": [{"id": "bot_token", "label": "New BOT_TOKEN", "type": "string", "secret": True}]}
    bad = {"name": "old rotation", "kind": "cloud", "inputs": fields,
           "injectors": {"file": {"template": OLD_ROTATION_TEMPLATE}, "env": {"TGOPS_NEW_SECRETS_FILE": "{{ tower.filename }}"}}}
    code, body = post(url, "/api/v2/credential_types/", bad)
    assert code == 400, body
    assert body == {"injectors": ["Syntax error rendering template for template inside of file (No filter named 'to_json'.)"]}
    # an undefined field, an Ansible lookup, a forbidden env var: all refused as AWX does
    cases = [
        ({"env": {"X": "{{ token }}"}}, "X uses an undefined field ('token' is undefined)"),
        ({"extra_vars": {"x": "{{ lookup('env', 'HOME') }}"}}, "x uses an undefined field ('lookup' is undefined)"),
        ({"env": {"ANSIBLE_CONFIG": "{{ bot_token }}"}}, "Environment variable ANSIBLE_CONFIG may affect Ansible"),
        ({"env": {"X": "{{ tower.filename }}"}}, "Must define unnamed file injector in order to reference `tower.filename`."),
        ({"extra_vars": {"x": "{{ bot_token | b64encode }}"}}, "No filter named 'b64encode'"),
    ]
    for injectors, message in cases:
        code, body = post(url, "/api/v2/credential_types/", dict(bad, name="case", injectors=injectors))
        assert code == 400 and message in body["injectors"][0], (injectors, body)
    # a good type is created; changing it to the old template is refused too, and it stays as it was
    good = dict(bad, injectors={"file": {"template": "bot_token: {{ bot_token }}"}})
    code, created = post(url, "/api/v2/credential_types/", good)
    assert code == 201, created
    code, body = post(url, f"/api/v2/credential_types/{created['id']}/", {"injectors": bad["injectors"]}, verb="PATCH")
    assert code == 400 and "No filter named 'to_json'" in body["injectors"][0], body
    assert awx[0].objects["credential_types"][created["id"]]["injectors"] == good["injectors"]


def test_the_fake_awx_keeps_secrets_and_credential_slots_as_awx_does(awx):
    state, url = awx
    machine = next(o["id"] for o in state.objects["credential_types"].values() if o["name"] == "Machine")
    code, body = post(url, "/api/v2/credentials/", {"name": "k", "credential_type": machine, "inputs": {"ssh_key_data": "not a key"}})
    assert code == 400 and "ssh_key_data" in body["inputs"], body
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
    code, cred = post(url, "/api/v2/credentials/", {"name": "k", "credential_type": machine, "inputs": {"username": "u", "ssh_key_data": key}})
    assert code == 201 and cred["inputs"] == {"username": "u", "ssh_key_data": "$encrypted$"}, cred
    code, _ = post(url, f"/api/v2/credentials/{cred['id']}/", {"inputs": {"username": "v", "ssh_key_data": "$encrypted$"}}, verb="PATCH")
    assert code == 200 and state.objects["credentials"][cred["id"]]["inputs"] == {"username": "v", "ssh_key_data": key}
    code, other = post(url, "/api/v2/credentials/", {"name": "k2", "credential_type": machine, "inputs": {"username": "w"}})
    code, jt = post(url, "/api/v2/job_templates/", {"name": "jt"})
    assert post(url, f"/api/v2/job_templates/{jt['id']}/credentials/", {"id": cred["id"]})[0] == 204
    code, body = post(url, f"/api/v2/job_templates/{jt['id']}/credentials/", {"id": other["id"]})
    assert code == 400 and body == {"error": "Cannot assign multiple Machine credentials."}, body


# Values that break naive quoting: YAML indicators, quotes, backslashes, newlines, $ and Jinja syntax, YAML's
# special words, control characters, line separators, a byte-order mark, characters beyond U+FFFF.
TRICKY = [
    "", "plain", " leading and trailing ", 'dq " sq \' bs \\ end\\', "$HOME ${X} $$ `id`", "{{ x }} {% if %} {# c #}",
    "yes", "no", "null", "~", "0x10", "1e3", "- item", "key: value", "# comment", "&anchor *alias !tag |> @`",
    "line1\nline2\n", "crlf\r\n", "\ttab", "nul\x00bel\x07esc\x1bdel\x7f", "c1 \x80\x85\x9f nbsp\xa0",
    "ls\u2028ps\u2029", "\ufeffbom", "\ufffe\uffff", "émoji 😀 𝔘 中文", "\\n is not a newline", '"', "\\",
]
GOOGLE_SA = json.dumps({"type": "service_account", "client_email": "bot@p.iam.gserviceaccount.com",
                        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEv\\Q+/=\n-----END PRIVATE KEY-----\n"}, indent=2) + "\n"
EVERY_BMP_CHARACTER = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize("loader", ["safe_load", "libyaml", "ansible from_yaml"])
def test_the_rotation_file_gives_every_value_back_byte_for_byte(loader):
    parse = {"safe_load": yaml.safe_load, "libyaml": lambda text: yaml.load(text, Loader=yaml.CSafeLoader),  # noqa: S506
             "ansible from_yaml": from_yaml}[loader]
    template = rotation_template()
    cases = [*TRICKY, GOOGLE_SA, EVERY_BMP_CHARACTER, EVERY_BMP_CHARACTER + "\U0001F600\U0010FFFF"]
    for i, value in enumerate(cases):
        values = dict.fromkeys(ROTATION_KEYS, "")
        values[ROTATION_KEYS[i % len(ROTATION_KEYS)]] = value
        values["google_sa_json"] = values["google_sa_json"] or GOOGLE_SA
        text = render_at_job_time(template, values)
        # AWX writes the file as UTF-8 text; the role reads it back
        back = parse(text.encode("utf-8").decode("utf-8"))
        assert back == values, (i, repr(value)[:80])
        assert all(isinstance(v, str) for v in back.values())


def test_the_rotation_file_has_every_key_even_when_fields_are_empty():
    # only the fields being rotated have a value; the others come out as "" (the role then falls back)
    back = yaml.safe_load(render_at_job_time(rotation_template(), {"bot_token": "123:ABC"}))
    assert back == {"bot_token": "123:ABC", "s3_access_key": "", "s3_secret_key": "", "google_sa_json": "", "postgres_password": ""}


def test_the_rotation_keys_are_the_ones_the_role_reads():
    cred_type = next(t for t in credential_types() if t["name"] == ROTATION)
    assert [f["id"] for f in cred_type["inputs"]["fields"]] == ROTATION_KEYS
    assert cred_type["injectors"]["env"] == {"TGOPS_NEW_SECRETS_FILE": "{{ tower.filename }}"}
    defaults = (REPO / "roles" / "rotate_secrets" / "defaults" / "main.yml").read_text()
    for key in ROTATION_KEYS:
        assert f"_rotate_secrets_file_values.{key}" in defaults, key


def test_the_s3_store_injects_what_the_production_inventory_reads():
    cred_type = next(t for t in credential_types() if t["name"] == "tgops S3 backup store")
    values = {"bucket": "b", "endpoint_url": "", "region": "", "access_key": "AK/+=", "secret_key": 'S"\\$k'}
    injected = {k: render_at_job_time(v, values) for k, v in cred_type["injectors"]["extra_vars"].items()}
    assert injected == {"tgops_s3_bucket": "b", "tgops_s3_endpoint_url": "", "tgops_s3_region": "us-east-1",
                        "tgops_s3_access_key": "AK/+=", "tgops_s3_secret_key": 'S"\\$k'}
    group_vars = yaml.safe_load((REPO / "inventories" / "production" / "group_vars" / "all.yml").read_text())
    for name in injected:
        suffix = name.removeprefix("tgops_s3_")
        assert name in group_vars[f"stack_s3_{suffix}"], suffix
    assert not any("vault_backup_s3" in str(v) for v in group_vars.values())

