"""Tiny env-file editor for the sandbox scripts (never prints values).

envfile.py render EXAMPLE OUT KEY=VALUE...   write OUT from EXAMPLE, setting keys (0600)
envfile.py set FILE KEY=VALUE...             set/replace keys in FILE, keep the rest (0600)
envfile.py get FILE KEY                      print one value
envfile.py tokens-json FILE TOKEN BOT_ID USERNAME   merge a token into the fake's JSON file
"""
import json
import os
import sys


def parse_pairs(pairs):
    out = {}
    for p in pairs:
        k, _, v = p.partition("=")
        out[k] = v
    return out


def set_keys(lines, values):
    seen = set()
    res = []
    for line in lines:
        s = line.strip()
        if s and not s.startswith("#") and "=" in s:
            k = s.split("=", 1)[0].strip()
            if k in values:
                if k in seen:
                    continue
                res.append(f"{k}={values[k]}\n")
                seen.add(k)
                continue
        res.append(line if line.endswith("\n") else line + "\n")
    for k, v in values.items():
        if k not in seen:
            res.append(f"{k}={v}\n")
    return res


def write(path, lines):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.writelines(lines)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def get(path, key):
    with open(path) as fh:
        for line in fh:
            s = line.strip()
            if s.startswith(key + "="):
                return s.split("=", 1)[1]
    return ""


def main(argv):
    cmd = argv[0]
    if cmd == "render":
        with open(argv[1]) as fh:
            lines = fh.readlines()
        write(argv[2], set_keys(lines, parse_pairs(argv[3:])))
    elif cmd == "set":
        with open(argv[1]) as fh:
            lines = fh.readlines()
        write(argv[1], set_keys(lines, parse_pairs(argv[2:])))
    elif cmd == "get":
        print(get(argv[1], argv[2]))
    elif cmd == "tokens-json":
        path, token, bot_id, username = argv[1:5]
        data = {}
        if os.path.exists(path):
            with open(path) as fh:
                data = json.load(fh) or {}
        data[token] = {"bot_id": int(bot_id), "username": username}
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=1)
        os.replace(tmp, path)
    else:
        raise SystemExit("unknown command")


if __name__ == "__main__":
    main(sys.argv[1:])
