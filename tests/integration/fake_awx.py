"""A small stateful stand-in for the AWX REST API (v2), enough for the awx.awx modules of awx/configure.yml.

It keeps every object it is sent, resolves list filters (name, organization, or__id / or__name), stores
associations and survey specs, and answers as AWX does (201 on create, 204 on associate). A second run of the
awx.awx modules must report no change against it.

Where AWX judges what it is sent in ways that decide whether configure.yml works, the fake judges the same way
(AWX 24.6, awx/main/fields.py CredentialTypeInputField / CredentialTypeInjectorField, awx/api/serializers.py,
awx/api/views JobTemplateCredentialsList), answering 400 with AWX's error text:

- credential types: custom ones must be of kind cloud or net; input fields need an id (a valid variable name,
  unique, not "tower") and a label, type string or boolean, only AWX's field keys; injectors may only have
  file (template / template.<name>), env (shell variable names, ASCII values, no ANSIBLE_* and none of AWX's
  reserved variables) and extra_vars. Every injector template (and extra_vars key) is rendered the way AWX
  validates it: jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=StrictUndefined) with Jinja's builtin
  filters only, every input field set to 'EXAMPLE' and tower.filename set only when a file injector exists.
  An Ansible filter (to_json, b64encode, ...), an undefined name or unsafe code is a 400. Managed types
  ("Machine", "Amazon Web Services") exist from the start and cannot be changed.
- credentials: inputs must be fields of the credential type (of its type, within its choices), an
  ssh_private_key field must hold a PEM private key (armour only), a url field a URL, "$encrypted$" is
  refused on create. Like AWX's API, it does not enforce the type's `required` list on save. Secret inputs
  are never returned: AWX answers "$encrypted$" for them; an update replaces the inputs, and a secret sent
  back as "$encrypted$" keeps its stored value.
- job template credentials: two credentials of the same credential type are refused.
It does not render survey specs, check playbooks against the project, or run jobs.
"""
from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

SINGULAR = {
    "organizations": "organization", "projects": "project", "inventories": "inventory", "inventory_sources": "inventory_source",
    "job_templates": "job_template", "schedules": "schedule", "credential_types": "credential_type",
    "notification_templates": "notification_template", "execution_environments": "execution_environment",
    "credentials": "credential", "labels": "label", "instance_groups": "instance_group",
}
UNIFIED = ("job_templates", "projects", "inventory_sources")
ENCRYPTED = "$encrypted$"

# AWX's managed credential types the project uses (inputs as AWX 24.6 defines them; no injectors: AWX injects
# them in code).
MANAGED_CREDENTIAL_TYPES = [
    {"name": "Machine", "kind": "ssh", "namespace": "ssh", "managed": True, "injectors": {}, "inputs": {"fields": [
        {"id": "username", "label": "Username", "type": "string"},
        {"id": "password", "label": "Password", "type": "string", "secret": True, "ask_at_runtime": True},
        {"id": "ssh_key_data", "label": "SSH Private Key", "type": "string", "format": "ssh_private_key",
         "secret": True, "multiline": True},
        {"id": "ssh_public_key_data", "label": "Signed SSH Certificate", "type": "string", "multiline": True,
         "secret": True},
        {"id": "ssh_key_unlock", "label": "Private Key Passphrase", "type": "string", "secret": True,
         "ask_at_runtime": True},
        {"id": "become_method", "label": "Privilege Escalation Method", "type": "string"},
        {"id": "become_username", "label": "Privilege Escalation Username", "type": "string"},
        {"id": "become_password", "label": "Privilege Escalation Password", "type": "string", "secret": True,
         "ask_at_runtime": True}]}},
    {"name": "Amazon Web Services", "kind": "cloud", "namespace": "aws", "managed": True, "injectors": {},
     "inputs": {"fields": [
         {"id": "username", "label": "Access Key", "type": "string"},
         {"id": "password", "label": "Secret Key", "type": "string", "secret": True},
         {"id": "security_token", "label": "STS Token", "type": "string", "secret": True}],
         "required": ["username", "password"]}},
]

VARIABLE_NAME = re.compile(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$")
FILE_INJECTOR_KEY = re.compile(r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$")
EXTRA_VAR_KEY = re.compile(r"^[a-zA-Z_{}]+[a-zA-Z0-9_{}]*$")
FIELD_KEYS = {"id", "label", "type", "format", "choices", "help_text", "multiline", "secret", "ask_at_runtime",
              "default"}
# Environment variables AWX sets itself and refuses in credential injectors (awx/main/constants.py).
ENV_RESERVED = frozenset((
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE", "CALLBACK_CONNECTION",
    "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH"))
PEM_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\s.*-----END [A-Z0-9 ]*PRIVATE KEY-----", re.S)


class InvalidError(Exception):
    """An error answer (400 unless told) with this payload."""

    def __init__(self, payload, status=400):
        super().__init__(payload)
        self.payload = payload
        self.status = status


def _input_field_errors(inputs):
    if not isinstance(inputs, dict):
        return [f"{type(inputs).__name__} provided, expected dict"]
    extra = set(inputs) - {"fields", "required"}
    if extra:
        return [f"Additional properties are not allowed ({', '.join(repr(k) for k in sorted(extra))} was unexpected)"]
    seen = set()
    for field in inputs.get("fields", []):
        if not isinstance(field, dict) or "id" not in field or "label" not in field:
            return [f"'id' and 'label' are required properties: {field!r}"]
        unknown = set(field) - FIELD_KEYS
        if unknown:
            return [f"Schema validation error in relative path ['fields'] (Additional properties are not allowed "
                    f"({', '.join(repr(k) for k in sorted(unknown))} was unexpected))"]
        if not VARIABLE_NAME.match(str(field["id"])):
            return [f"{field['id']} is an invalid variable name"]
        if field["id"] == "tower":
            return ['"tower" is a reserved field name']
        if field["id"] in seen:
            return [f"field IDs must be unique ({field['id']})"]
        seen.add(field["id"])
        ftype = field.get("type", "string")
        if ftype not in ("string", "boolean"):
            return [f"'{ftype}' is not one of ['string', 'boolean']"]
        for key in ("choices", "multiline", "format", "secret"):
            if key in field and ftype != "string":
                return [f"{key} not allowed for {ftype} type ({field['id']})"]
        if "default" in field and not isinstance(field["default"], {"string": str, "boolean": bool}[ftype]):
            return [f"{field['default']} is not a {ftype}"]
    return []


class _ExplodingFilename:
    def __str__(self):
        raise UndefinedError("Must define unnamed file injector in order to reference `tower.filename`.")


class _TowerNamespace:
    def __init__(self):
        self.filename = _ExplodingFilename()

    def __str__(self):
        raise UndefinedError("Cannot directly reference reserved `tower` namespace container.")


def injector_errors(inputs, injectors):
    """AWX's validation of a credential type's injectors: a list of error messages (empty when AWX accepts them)."""
    if not isinstance(injectors, dict):
        return [f"{type(injectors).__name__} provided, expected dict"]
    extra = set(injectors) - {"file", "env", "extra_vars"}
    if extra:
        return [f"Additional properties are not allowed ({', '.join(repr(k) for k in sorted(extra))} was unexpected)"]
    files = injectors.get("file", {})
    for key, value in files.items():
        if not FILE_INJECTOR_KEY.match(key) or not isinstance(value, str):
            return [f"Schema validation error in relative path ['file'] ({key!r} does not match any of the regexes)"]
    for key, value in injectors.get("env", {}).items():
        if not VARIABLE_NAME.match(key):
            return [f"Schema validation error in relative path ['env'] ({key!r} does not match any of the regexes)"]
        if not isinstance(value, str) or not value.isascii():
            return [f"{value!r} does not match '^[\\x00-\\x7F]*$'"]
        if key.startswith("ANSIBLE_"):
            return [f"Environment variable {key} may affect Ansible configuration so its use is not allowed in "
                    "credentials."]
        if key in ENV_RESERVED:
            return [f"Environment variable {key} is not allowed to be used in credentials."]
    if _input_field_errors(inputs or {}):
        return []  # AWX: with invalid inputs it cannot judge the templates (the inputs error is reported)

    namespace = {field["id"]: "EXAMPLE" for field in (inputs or {}).get("fields", [])}
    namespace["tower"] = _TowerNamespace()
    names = [k for k in files if k.startswith("template")]
    if "template" in names:
        namespace["tower"].filename = "EXAMPLE_FILENAME"
        if len(names) > 1:
            return ["Must use multi-file syntax when injecting multiple files"]
    elif names:
        for name in names:
            setattr(namespace["tower"].filename, name.split(".", 1)[1], "EXAMPLE_FILENAME")

    def render(type_, key, template):
        try:
            ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(namespace)
        except UndefinedError as exc:
            return f"{key} uses an undefined field ({exc})"
        except SecurityError as exc:
            return f"Encountered unsafe code execution: {exc}"
        except TemplateSyntaxError as exc:
            return f"Syntax error rendering template for {key} inside of {type_} ({exc})"
        return None

    def extra_vars(key, node):
        if isinstance(node, dict):
            for k, v in node.items():
                if not EXTRA_VAR_KEY.match(str(k)):
                    return f"Schema validation error in relative path ['extra_vars'] ({k!r} does not match any of the regexes)"
                error = render("extra_vars", "a key" if key is None else key, k) or extra_vars(k if key is None else f"{key}.{k}", v)
                if error:
                    return error
        elif isinstance(node, list):
            for i, x in enumerate(node):
                error = extra_vars(f"{key}[{i}]", x)
                if error:
                    return error
        elif isinstance(node, str):
            return render("extra_vars", key, node)
        else:
            return f"{type(node).__name__} provided in relative path ['extra_vars', {key!r}], expected string"
        return None

    for type_, injector in injectors.items():
        if type_ == "extra_vars":
            error = extra_vars(None, injector)
        else:
            error = next((e for k, t in injector.items() if (e := render(type_, k, t))), None)
        if error:
            return [error]
    return []


def validate_credential_type(data, existing=None):
    """Raise InvalidError as AWX would for this credential type (POST data, or PATCH data onto `existing`)."""
    if existing is not None and existing.get("managed"):
        raise InvalidError({"detail": "Modifications not allowed for managed credential types"}, status=403)
    merged = dict(existing or {}, **data)
    if "kind" in data and data["kind"] not in ("cloud", "net"):
        raise InvalidError({"kind": [f"Must be 'cloud' or 'net', not {data['kind']}"]})
    errors = _input_field_errors(merged.get("inputs") or {})
    if not errors and any(f.get("ask_at_runtime") for f in (merged.get("inputs") or {}).get("fields", [])):
        errors = ["'ask_at_runtime' is not supported for custom credentials."]
    if errors:
        raise InvalidError({"inputs": errors})
    errors = injector_errors(merged.get("inputs") or {}, merged.get("injectors") or {})
    if errors:
        raise InvalidError({"injectors": errors})


def credential_inputs(data, cred_type, existing=None):
    """The inputs AWX would store for this POST/PATCH of a credential, or InvalidError."""
    inputs = dict(data.get("inputs") or {}) if "inputs" in data else dict((existing or {}).get("inputs") or {})
    fields = {f["id"]: f for f in cred_type["inputs"].get("fields", [])}
    unknown = sorted(set(inputs) - set(fields))
    if unknown:
        raise InvalidError({"inputs": [f"Additional properties are not allowed ({', '.join(repr(k) for k in unknown)} "
                                       f"{'was' if len(unknown) == 1 else 'were'} unexpected)"]})
    errors = {}
    for key, value in inputs.items():
        field = fields[key]
        if value == ENCRYPTED and field.get("secret"):
            if existing is None:
                raise InvalidError({"inputs": [f"$encrypted$ is a reserved keyword, and cannot be used for {key}."]})
            inputs[key] = existing["inputs"].get(key, "")
            continue
        if field.get("type", "string") == "string" and not isinstance(value, str):
            errors[key] = [f"{value!r} is not of type 'string'"]
        elif field.get("choices") and value not in field["choices"]:
            errors[key] = [f"{value!r} is not one of {field['choices']!r}"]
        elif field.get("format") == "ssh_private_key" and value and not PEM_PRIVATE_KEY.search(value):
            errors[key] = ["Invalid certificate or key: no PEM private key found."]
        elif field.get("format") == "url" and value and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s]+", value):
            errors[key] = ["Enter a valid URL."]
    if errors:
        raise InvalidError({"inputs": errors})
    return inputs


def _public_credential(cred, cred_type):
    secret = {f["id"] for f in cred_type["inputs"].get("fields", []) if f.get("secret")}
    shown = dict(cred)
    shown["inputs"] = {k: (ENCRYPTED if k in secret and v else v) for k, v in cred.get("inputs", {}).items()}
    shown["kind"] = cred_type["kind"]
    return shown


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.ids = itertools.count(100)
        self.objects = {kind: {} for kind in SINGULAR}
        self.objects["organizations"][1] = self._new("organizations", 1, {"name": "Default"})
        for oid, managed in enumerate(MANAGED_CREDENTIAL_TYPES, start=1):
            self.objects["credential_types"][oid] = self._new("credential_types", oid, managed)
        self.associations = {}
        self.surveys = {}
        self.requests = []

    @staticmethod
    def _new(kind, oid, data):
        url = f"/api/v2/{kind}/{oid}/"
        obj = dict(data, id=oid, type=SINGULAR[kind], url=url, summary_fields={},
                   related={"survey_spec": url + "survey_spec/", "notification_templates_error": url + "notification_templates_error/",
                            "notification_templates_started": url + "notification_templates_started/",
                            "notification_templates_success": url + "notification_templates_success/",
                            "credentials": url + "credentials/", "labels": url + "labels/", "instance_groups": url + "instance_groups/"})
        return obj


def _match(obj, filters):
    ors = {k[4:]: v for k, v in filters.items() if k.startswith("or__")}
    if ors and not any(str(obj.get(k)) == v for k, v in ors.items()):
        return False
    for key, value in filters.items():
        if key.startswith("or__") or key in ("page_size", "page", "order_by"):
            continue
        if str(obj.get(key)) != value:
            return False
    return True


def make_handler(state: State):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def _send(self, code, payload=None):
            body = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-API-Product-Name", "AWX")
            self.send_header("X-API-Product-Version", "24.6.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}") if length else {}

        def _route(self, verb):
            url = urlparse(self.path)
            parts = [p for p in url.path.split("/") if p]
            filters = {k: v[-1] for k, v in parse_qs(url.query).items()}
            body = self._body() if verb in ("POST", "PATCH") else {}
            with state.lock:
                state.requests.append((verb, url.path, body))
                return self._dispatch(verb, parts, filters, body)

        def _dispatch(self, verb, parts, filters, body):
            if parts == ["api"]:
                return self._send(200, {"current_version": "/api/v2/", "available_versions": {"v2": "/api/v2/"}})
            if parts[:2] != ["api", "v2"] or len(parts) < 3:
                return self._send(404, {"detail": "Not found."})
            kind, rest = parts[2], parts[3:]
            if kind == "ping":
                return self._send(200, {"version": "24.6.1", "active_node": "fake"})
            if kind == "me":
                return self._send(200, {"count": 1, "next": None, "results": [{"id": 1, "username": "admin"}]})
            if kind == "unified_job_templates" and verb == "GET":
                found = [o for k in UNIFIED for o in state.objects[k].values() if _match(o, filters)]
                return self._send(200, {"count": len(found), "next": None, "results": found})
            if kind not in state.objects:
                return self._send(404, {"detail": f"unknown endpoint {kind}"})
            try:
                return self._dispatch_table(verb, kind, rest, filters, body)
            except InvalidError as exc:
                return self._send(exc.status, exc.payload)

        def _show(self, kind, obj):
            if kind == "credentials":
                return _public_credential(obj, state.objects["credential_types"][obj["credential_type"]])
            return obj

        def _validated(self, kind, body, existing=None):
            """The body AWX would store, or InvalidError."""
            if kind == "credential_types":
                validate_credential_type(body, existing)
            if kind == "credentials":
                type_id = body.get("credential_type", (existing or {}).get("credential_type"))
                cred_type = state.objects["credential_types"].get(int(type_id)) if type_id is not None else None
                if cred_type is None:
                    raise InvalidError({"credential_type": [f'Invalid pk "{type_id}" - object does not exist.']})
                body = dict(body, credential_type=cred_type["id"], inputs=credential_inputs(body, cred_type, existing))
            return body

        def _dispatch_table(self, verb, kind, rest, filters, body):
            table = state.objects[kind]
            if not rest:
                if verb == "GET":
                    found = [self._show(kind, o) for o in table.values() if _match(o, filters)]
                    return self._send(200, {"count": len(found), "next": None, "results": found})
                if verb == "POST":
                    body = self._validated(kind, body)
                    oid = next(state.ids)
                    table[oid] = State._new(kind, oid, body)
                    return self._send(201, self._show(kind, table[oid]))
                return self._send(405, {"detail": "method not allowed"})
            oid = int(rest[0])
            if oid not in table:
                return self._send(404, {"detail": "Not found."})
            if len(rest) == 1:
                if verb == "GET":
                    return self._send(200, self._show(kind, table[oid]))
                if verb == "PATCH":
                    body = self._validated(kind, body, table[oid])
                    table[oid].update(body)
                    return self._send(200, self._show(kind, table[oid]))
                if verb == "DELETE":
                    del table[oid]
                    return self._send(204)
            sub = rest[1]
            if sub == "survey_spec":
                if verb == "GET":
                    return self._send(200, state.surveys.get((kind, oid), {}))
                if verb == "POST":
                    state.surveys[(kind, oid)] = body
                    return self._send(200, body)
                if verb == "DELETE":
                    state.surveys.pop((kind, oid), None)
                    return self._send(204)
            assoc = state.associations.setdefault((kind, oid, sub), [])
            if verb == "GET":
                return self._send(200, {"count": len(assoc), "next": None, "results": [{"id": i} for i in assoc]})
            if verb == "POST":
                if body.get("disassociate"):
                    assoc.remove(body["id"])
                elif body["id"] not in assoc:
                    if sub == "credentials":
                        self._check_credential_slot(assoc, body["id"])
                    assoc.append(body["id"])
                return self._send(204)
            return self._send(405, {"detail": "method not allowed"})

        def _check_credential_slot(self, assoc, cred_id):
            """AWX refuses a second credential of the same credential type on a template."""
            creds = state.objects["credentials"]
            if cred_id not in creds:
                raise InvalidError({"msg": f'Invalid pk "{cred_id}" - object does not exist.'})
            new_type = creds[cred_id]["credential_type"]
            if any(creds[c]["credential_type"] == new_type for c in assoc if c in creds):
                type_name = state.objects["credential_types"][new_type]["name"]
                raise InvalidError({"error": f"Cannot assign multiple {type_name} credentials."})

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def do_PATCH(self):
            self._route("PATCH")

        def do_DELETE(self):
            self._route("DELETE")

    return Handler


def start(port=0):
    """(server, state, base URL) of a fake AWX serving in a thread."""
    state = State()
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state, f"http://127.0.0.1:{server.server_address[1]}"
