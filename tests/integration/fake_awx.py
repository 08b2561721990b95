"""A small stateful stand-in for the AWX REST API (v2), enough for the awx.awx modules of awx/configure.yml.

It keeps every object it is sent, resolves list filters (name, organization, or__id / or__name), stores
associations and survey specs, and answers as AWX does (201 on create, 204 on associate). It does not judge
the content: the awx.awx modules validate their arguments, and a second run must report no change.
"""
from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SINGULAR = {
    "organizations": "organization", "projects": "project", "inventories": "inventory", "inventory_sources": "inventory_source",
    "job_templates": "job_template", "schedules": "schedule", "credential_types": "credential_type",
    "notification_templates": "notification_template", "execution_environments": "execution_environment",
    "credentials": "credential", "labels": "label", "instance_groups": "instance_group",
}
UNIFIED = ("job_templates", "projects", "inventory_sources")


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.ids = itertools.count(2)
        self.objects = {kind: {} for kind in SINGULAR}
        self.objects["organizations"][1] = self._new("organizations", 1, {"name": "Default"})
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
            table = state.objects[kind]
            if not rest:
                if verb == "GET":
                    found = [o for o in table.values() if _match(o, filters)]
                    return self._send(200, {"count": len(found), "next": None, "results": found})
                if verb == "POST":
                    oid = next(state.ids)
                    table[oid] = State._new(kind, oid, body)
                    return self._send(201, table[oid])
                return self._send(405, {"detail": "method not allowed"})
            oid = int(rest[0])
            if oid not in table:
                return self._send(404, {"detail": "Not found."})
            if len(rest) == 1:
                if verb == "GET":
                    return self._send(200, table[oid])
                if verb == "PATCH":
                    table[oid].update(body)
                    return self._send(200, table[oid])
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
                    assoc.append(body["id"])
                return self._send(204)
            return self._send(405, {"detail": "method not allowed"})

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
