"""Long-polling bot loop (answers /ping with pong)."""
import json
import os
import time
import urllib.error
import urllib.request

from sprint import log


def _base():
    return os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/")


def call(method, params, timeout):
    token = os.environ.get("BOT_TOKEN", "")
    req = urllib.request.Request(f"{_base()}/bot{token}/{method}", data=json.dumps(params).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def send_message(chat_id, text):
    try:
        code, body = call("sendMessage", {"chat_id": chat_id, "text": text}, 10)
    except (urllib.error.URLError, OSError) as exc:
        log("bot", f"ERROR sendMessage failed: {exc}")
        return False
    if code != 200:
        log("bot", "ERROR sendMessage {} {}".format(code, body.get("description", "")))
    return code == 200


def run():
    token = os.environ.get("BOT_TOKEN", "")
    max_401 = int(os.environ.get("BOT_MAX_UNAUTHORIZED", "5"))
    poll_timeout = int(os.environ.get("BOT_POLL_TIMEOUT", "10"))
    if not token:
        log("bot", "ERROR BOT_TOKEN is not set")
        return 2
    log("bot", "starting; api base {}, bot id {}".format(_base(), token.split(":", 1)[0]))
    offset, unauthorized, me_ok = 0, 0, False
    while True:
        try:
            if not me_ok:
                code, body = call("getMe", {}, 10)
                if code == 200 and body.get("ok"):
                    me_ok, unauthorized = True, 0
                    log("bot", "getMe ok: @{}".format(body["result"].get("username")))
                    continue
            else:
                code, body = call("getUpdates", {"offset": offset, "timeout": poll_timeout}, poll_timeout + 10)
                if code == 200 and body.get("ok"):
                    unauthorized = 0
                    for upd in body.get("result", []):
                        offset = max(offset, upd["update_id"] + 1)
                        msg = upd.get("message") or {}
                        text = (msg.get("text") or "").strip()
                        chat = (msg.get("chat") or {}).get("id")
                        if text.split("@")[0] == "/ping" and chat is not None:
                            send_message(chat, "pong")
                            log("bot", f"answered /ping in chat {chat}")
                    continue
            if code == 401:
                unauthorized += 1
                log("bot", f"ERROR Telegram API 401 Unauthorized ({unauthorized}/{max_401})")
                if unauthorized >= max_401:
                    log("bot", f"FATAL BOT_TOKEN rejected {unauthorized} times, exiting")
                    return 3
                time.sleep(1)
            elif code == 409:
                log("bot", "ERROR Telegram API 409 {}".format(body.get("description", "Conflict")))
                time.sleep(1)
            else:
                log("bot", "ERROR Telegram API {} {}".format(code, body.get("description", "")))
                time.sleep(2)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log("bot", f"ERROR cannot reach Telegram API: {exc}")
            time.sleep(2)
