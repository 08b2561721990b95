"""Fake Telegram Bot API for the tgops sandbox (stdlib only).

Bot API:  /bot<token>/getMe | getUpdates | sendMessage   (GET or POST,
          params from the query string, a form body or a JSON body)
Admin:    POST /_admin/tokens {"token","bot_id","username"}
          DELETE /_admin/tokens/<token>
          POST /_admin/updates {"token","text","chat_id"}
          GET /_admin/messages?token=...   (or ?bot_id=...)
          GET /_admin/state, GET /_admin/health, POST /_admin/reset
Env:      FAKE_TG_TOKENS  "token=botid:username,..." or a path to a JSON file
                          ({"<token>": {"bot_id":..,"username":..}} or a list of
                          {"token","bot_id","username"})
          FAKE_TG_PORT (8081), FAKE_TG_MAX_TIMEOUT (1.0 s),
          FAKE_TG_CONFLICT_WINDOW (1.5 s)
"""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN_RE = re.compile(r"^(\d+):([A-Za-z0-9_-]{35})$")
MAX_TIMEOUT = float(os.environ.get("FAKE_TG_MAX_TIMEOUT", "1.0"))
CONFLICT_WINDOW = float(os.environ.get("FAKE_TG_CONFLICT_WINDOW", "1.5"))


def log(msg):
    print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), msg, flush=True)


def mask(token):
    return token.split(":", 1)[0] + ":***" if ":" in token else "***"


class State:
    def __init__(self):
        self.lock = threading.Condition()
        self.tokens = {}      # token -> {"bot_id": int, "username": str}
        self.bots = {}        # bot_id -> per-bot state
        self.next_update_id = 1
        self.next_message_id = 1
        self.unauthorized = {}  # token(masked) -> count

    def bot(self, bot_id):
        b = self.bots.get(bot_id)
        if b is None:
            b = {"updates": [], "messages": [], "inflight": {}, "last_poll": None,
                 "polls": 0, "conflicts": 0, "poll_seq": 0, "clients": {}}
            self.bots[bot_id] = b
        return b

    def add_token(self, token, bot_id=None, username=None):
        m = TOKEN_RE.match(token or "")
        if not m:
            raise ValueError("token must look like <botid>:<35 chars [A-Za-z0-9_-]>")
        if bot_id is None:
            bot_id = int(m.group(1))
        bot_id = int(bot_id)
        with self.lock:
            self.tokens[token] = {"bot_id": bot_id, "username": username or f"bot{bot_id}_bot"}
            self.bot(bot_id)
        return bot_id

    def lookup(self, token):
        with self.lock:
            return self.tokens.get(token)


STATE = State()


def load_initial_tokens(spec):
    spec = (spec or "").strip()
    if not spec:
        return
    if os.path.isfile(spec):
        with open(spec) as fh:
            data = json.load(fh)
        items = []
        if isinstance(data, dict):
            for tok, info in data.items():
                info = info or {}
                items.append((tok, info.get("bot_id"), info.get("username")))
        else:
            for info in data:
                items.append((info["token"], info.get("bot_id"), info.get("username")))
    else:
        items = []
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            tok, _, rest = part.partition("=")
            bot_id, _, username = rest.partition(":")
            items.append((tok, bot_id or None, username or None))
    for tok, bot_id, username in items:
        try:
            STATE.add_token(tok, bot_id, username)
        except ValueError as exc:
            log(f"skip initial token {mask(tok)}: {exc}")
    log(f"loaded {len(items)} initial token(s)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegram/1.0"

    def log_message(self, fmt, *args):  # quieter, and never log tokens
        pass

    # -- helpers -----------------------------------------------------------
    def _send(self, code, payload):
        body = json.dumps(payload).encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _params(self):
        url = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            raw = self.rfile.read(length)
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if ctype == "application/json":
                try:
                    data = json.loads(raw or b"{}")
                    if isinstance(data, dict):
                        params.update(data)
                except ValueError:
                    pass
            else:
                params.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
        return url.path, params

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, verb):
        path, params = self._params()
        try:
            if path.startswith("/_admin/"):
                return self._admin(verb, path[len("/_admin/"):], params)
            m = re.match(r"^/bot([^/]+)/([A-Za-z]+)$", path)
            if m:
                return self._bot_api(m.group(1), m.group(2), params)
            self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        except Exception as exc:  # keep the fake alive
            log("error handling {} {}: {!r}".format(verb, path.split("/bot")[0], exc))
            self._send(500, {"ok": False, "error_code": 500, "description": str(exc)})

    # -- Bot API -----------------------------------------------------------
    def _bot_api(self, token, method, params):
        info = STATE.lookup(token)
        if info is None:
            with STATE.lock:
                STATE.unauthorized[mask(token)] = STATE.unauthorized.get(mask(token), 0) + 1
            return self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        bot_id = info["bot_id"]
        if method == "getMe":
            return self._send(200, {"ok": True, "result": {
                "id": bot_id, "is_bot": True, "first_name": info["username"],
                "username": info["username"], "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}})
        if method == "getUpdates":
            return self._get_updates(bot_id, token, params)
        if method == "sendMessage":
            chat_id = params.get("chat_id")
            text = params.get("text")
            if chat_id in (None, "") or not text:
                return self._send(400, {"ok": False, "error_code": 400,
                                        "description": "Bad Request: chat_id and text are required"})
            with STATE.lock:
                mid = STATE.next_message_id
                STATE.next_message_id += 1
                msg = {"message_id": mid, "date": int(time.time()),
                       "chat": {"id": _int(chat_id), "type": "private"},
                       "from": {"id": bot_id, "is_bot": True, "username": info["username"]},
                       "text": text}
                STATE.bot(bot_id)["messages"].append(dict(msg, token_masked=mask(token)))
            log(f"bot {bot_id} sendMessage chat={chat_id} text={text[:60]!r}")
            return self._send(200, {"ok": True, "result": msg})
        return self._send(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})

    def _get_updates(self, bot_id, token, params):
        client = self.client_address[0]
        try:
            timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_TIMEOUT)
        except ValueError:
            timeout = 0.0
        offset = _int(params.get("offset") or 0)
        conflict = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
        with STATE.lock:
            b = STATE.bot(bot_id)
            now = time.time()
            seen = b["clients"]
            others = [c for c, at in seen.items() if c != client and now - at < CONFLICT_WINDOW]
            seen[client] = now
            b["last_poll"] = {"client": client, "at": now}
            # another client (another container / host) polled this bot very recently -> conflict
            if others:
                b["conflicts"] += 1
                log(f"bot {bot_id} getUpdates conflict (clients {others[0]} and {client})")
                return self._send(409, {"ok": False, "error_code": 409, "description": conflict})
            # a concurrent poll still in flight is terminated by this newer one
            for flight in b["inflight"].values():
                flight["terminated"] = True
            b["poll_seq"] += 1
            seq = b["poll_seq"]
            me = {"terminated": False, "client": client}
            b["inflight"][seq] = me
            b["polls"] += 1
            if offset:
                b["updates"] = [u for u in b["updates"] if u["update_id"] >= offset]
            STATE.lock.notify_all()
            deadline = now + timeout
            while True:
                pending = [u for u in b["updates"] if u["update_id"] >= offset]
                if pending or me["terminated"]:
                    break
                left = deadline - time.time()
                if left <= 0:
                    break
                STATE.lock.wait(left)
            b["inflight"].pop(seq, None)
            b["last_poll"] = {"client": client, "at": time.time()}
            b["clients"][client] = time.time()
            if me["terminated"] and not pending:
                b["conflicts"] += 1
                return self._send(409, {"ok": False, "error_code": 409, "description": conflict})
            limit = _int(params.get("limit") or 100) or 100
            result = [u for u in pending][:limit]
        return self._send(200, {"ok": True, "result": result})

    # -- admin -------------------------------------------------------------
    def _admin(self, verb, rest, params):
        if rest == "health":
            return self._send(200, {"ok": True})
        if rest == "tokens" and verb == "POST":
            try:
                bot_id = STATE.add_token(params.get("token"), params.get("bot_id"), params.get("username"))
            except ValueError as exc:
                return self._send(400, {"ok": False, "description": str(exc)})
            log(f"admin: token added for bot {bot_id}")
            return self._send(200, {"ok": True, "bot_id": bot_id})
        if rest.startswith("tokens/") and verb == "DELETE":
            token = rest[len("tokens/"):]
            with STATE.lock:
                found = STATE.tokens.pop(token, None)
            log("admin: token revoked {} ({})".format(mask(token), "found" if found else "unknown"))
            return self._send(200 if found else 404, {"ok": bool(found)})
        if rest == "updates" and verb == "POST":
            info = STATE.lookup(params.get("token") or "")
            if info is None and params.get("bot_id") is None:
                return self._send(404, {"ok": False, "description": "unknown token"})
            bot_id = info["bot_id"] if info else int(params["bot_id"])
            chat_id = _int(params.get("chat_id") or 1001)
            with STATE.lock:
                uid = STATE.next_update_id
                STATE.next_update_id += 1
                mid = STATE.next_message_id
                STATE.next_message_id += 1
                upd = {"update_id": uid, "message": {
                    "message_id": mid, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "Tester"},
                    "text": params.get("text") or "/ping"}}
                STATE.bot(bot_id)["updates"].append(upd)
                STATE.lock.notify_all()
            return self._send(200, {"ok": True, "result": upd})
        if rest == "messages" and verb == "GET":
            with STATE.lock:
                if params.get("token"):
                    info = STATE.tokens.get(params["token"])
                    bot_id = info["bot_id"] if info else _bot_id_of(params["token"])
                elif params.get("bot_id"):
                    bot_id = int(params["bot_id"])
                else:
                    return self._send(200, {"ok": True, "result": [
                        m for b in STATE.bots.values() for m in b["messages"]]})
                msgs = list(STATE.bots.get(bot_id, {}).get("messages", []))
            return self._send(200, {"ok": True, "result": msgs})
        if rest == "state" and verb == "GET":
            with STATE.lock:
                state = {
                    "tokens": [{"token": t, "bot_id": i["bot_id"], "username": i["username"]}
                               for t, i in STATE.tokens.items()],
                    "bots": {str(k): {"pending_updates": len(v["updates"]),
                                      "messages": len(v["messages"]),
                                      "polls": v["polls"], "conflicts": v["conflicts"],
                                      "inflight": len(v["inflight"]),
                                      "last_poll_age": (round(time.time() - v["last_poll"]["at"], 3)
                                                        if v["last_poll"] else None),
                                      "last_poll_client": (v["last_poll"] or {}).get("client")}
                             for k, v in STATE.bots.items()},
                    "unauthorized": dict(STATE.unauthorized),
                }
            return self._send(200, {"ok": True, "result": state})
        if rest == "reset" and verb == "POST":
            with STATE.lock:
                for b in STATE.bots.values():
                    b["updates"].clear()
                    b["messages"].clear()
                    b["conflicts"] = 0
                STATE.unauthorized.clear()
            return self._send(200, {"ok": True})
        return self._send(404, {"ok": False, "description": "unknown admin endpoint"})


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _bot_id_of(token):
    m = TOKEN_RE.match(token or "")
    return int(m.group(1)) if m else None


def main():
    load_initial_tokens(os.environ.get("FAKE_TG_TOKENS", ""))
    port = int(os.environ.get("FAKE_TG_PORT", "8081"))
    srv = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    srv.daemon_threads = True
    log(f"fake Telegram Bot API listening on 0.0.0.0:{port}")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
