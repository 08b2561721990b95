"""Long-polling Telegram bot: answers /ping with pong."""
import json
import os
import sys
import time
import urllib.error
import urllib.request

from todo import log


def call(base, token, method, params, timeout):
    data = json.dumps(params).encode()
    req = urllib.request.Request(f"{base}/bot{token}/{method}", data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        return exc.code, body


def run(component="telegram-bot", on_tick=None):
    token = os.environ.get("BOT_TOKEN", "")
    base = os.environ.get("TELEGRAM_API_BASE", "https://api.telegram.org").rstrip("/")
    max_401 = int(os.environ.get("BOT_MAX_UNAUTHORIZED", "5"))
    poll_timeout = int(os.environ.get("BOT_POLL_TIMEOUT", "10"))
    if not token:
        log(component, "ERROR BOT_TOKEN is not set")
        return 2
    log(component, "starting; api base {}, bot id {}".format(base, token.split(":", 1)[0]))
    offset = 0
    unauthorized = 0
    me_ok = False
    while True:
        if on_tick:
            on_tick()
        try:
            if not me_ok:
                code, body = call(base, token, "getMe", {}, 10)
                if code == 200 and body.get("ok"):
                    me_ok = True
                    unauthorized = 0
                    log(component, "getMe ok: @{}".format(body["result"].get("username")))
                    continue
                raise_code = code
            else:
                code, body = call(base, token, "getUpdates",
                                  {"offset": offset, "timeout": poll_timeout}, poll_timeout + 10)
                raise_code = code
                if code == 200 and body.get("ok"):
                    unauthorized = 0
                    for upd in body.get("result", []):
                        offset = max(offset, upd["update_id"] + 1)
                        msg = upd.get("message") or {}
                        text = (msg.get("text") or "").strip()
                        chat = (msg.get("chat") or {}).get("id")
                        if text.split("@")[0] == "/ping" and chat is not None:
                            c, b = call(base, token, "sendMessage", {"chat_id": chat, "text": "pong"}, 10)
                            log(component, f"answered /ping in chat {chat} ({c})")
                        elif text:
                            log(component, f"ignored message {text[:40]!r}")
                    continue
            if raise_code == 401:
                unauthorized += 1
                log(component, f"ERROR Telegram API 401 Unauthorized ({unauthorized}/{max_401})")
                if unauthorized >= max_401:
                    log(component, f"FATAL BOT_TOKEN rejected {unauthorized} times, exiting")
                    return 3
                time.sleep(1)
            elif raise_code == 409:
                log(component, "ERROR Telegram API 409 {}".format(body.get("description", "Conflict")))
                time.sleep(1)
            else:
                log(component, "ERROR Telegram API {} {}".format(raise_code, body.get("description", "")))
                time.sleep(2)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log(component, f"ERROR cannot reach Telegram API: {exc}")
            time.sleep(2)


def main(argv):
    return run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
