#!/usr/bin/env python3
"""Bench suite: each operation of the collection against what users do by hand, alternately, in one run.

    .venv/bin/python bench/run.py                 # make bench: full sizes, 3 repetitions (2 for the long pairs)
                                                  #   -> bench/results.{md,json}
    .venv/bin/python bench/run.py --smoke --out D # make bench-smoke: tiny data, 1 repetition (checks the suite runs)

Every figure is a ratio against a baseline measured in the same run (medians, min-max), never an absolute target.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import fleet as fleetlib  # noqa: E402
from conftest import PLANTED, SANDBOX_BIN, VENV_BIN, _env, compose, run, sandbox_root  # noqa: E402
from targets import target_verdict  # noqa: E402  (bench/targets.py, beside this script)

BASE = REPO / "bench" / "baselines"
TODO_FILES = ["docker-compose.yml", "docker-compose.vps.override.yml"]
SPRINT_FILES = ["docker-compose.yml", "docker-compose.override.yml"]
S3_ENDPOINT = "http://127.0.0.1:9000"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "sandbox-access", "AWS_SECRET_ACCESS_KEY": "sandbox-secret", "AWS_DEFAULT_REGION": "us-east-1"}


def log(msg):
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


# -- measuring -----------------------------------------------------------------------------------------------

class Prober(threading.Thread):
    """GETs a health URL every 50 ms; unavailability = time covered by failed probes."""

    def __init__(self, url, period=0.05):
        super().__init__(daemon=True)
        self.url, self.period, self.stop_flag, self.samples, self.wall = url, period, threading.Event(), [], []

    def run(self):
        while not self.stop_flag.is_set():
            start = time.monotonic()
            try:
                ok = urllib.request.urlopen(self.url, timeout=0.5).status == 200
            except Exception:  # noqa: BLE001 - any failure is unavailability
                ok = False
            self.samples.append((start, ok))
            self.wall.append(time.time() - (time.monotonic() - start))
            time.sleep(max(0.0, self.period - (time.monotonic() - start)))

    def longest_outage(self):
        """(seconds, wall-clock start, wall-clock end) of the longest run of failed probes, up to the next 200."""
        best, since = (0.0, None, None), None
        for (t, ok), wall in zip(self.samples, self.wall, strict=True):
            if not ok and since is None:
                since = (t, wall)
            elif ok and since is not None:
                if t - since[0] > best[0]:
                    best = (round(t - since[0], 3), since[1], wall)
                since = None
        if since is not None and self.samples:
            best = max(best, (round(self.samples[-1][0] - since[0], 3), since[1], None), key=lambda b: b[0])
        return best

    def first_ok_after(self, wall_time):
        return next((w for (_t, ok), w in zip(self.samples, self.wall, strict=True) if ok and w >= wall_time), None)

    def unavailable_s(self):
        total = 0.0
        for (t0, ok), (t1, _ok) in zip(self.samples, self.samples[1:], strict=False):
            if not ok:
                total += t1 - t0
        return round(total, 3)


class MemorySampler(threading.Thread):
    """Peak RSS of every process in the tree under a PID (sampled every 50 ms from /proc)."""

    def __init__(self, root_pid, period=0.05):
        super().__init__(daemon=True)
        self.root, self.period, self.stop_flag, self.peak = root_pid, period, threading.Event(), {}

    def _tree(self):
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
        out, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def run(self):
        while not self.stop_flag.is_set():
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/status") as fh:
                        rss = next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")[:80]
                except OSError:
                    continue
                key = f"{pid} {cmd}"
                self.peak[key] = max(self.peak.get(key, 0), rss)
            time.sleep(self.period)

    def max_mib(self):
        if not self.peak:
            return 0.0, ""
        key = max(self.peak, key=self.peak.get)
        return round(self.peak[key] / 1024, 1), key.split(" ", 1)[1]


def timed(cmd, env=None, probe_url=None, memory=False):
    """Run cmd; return {seconds, rc, unavailable_s?, peak_mib?, peak_process?}."""
    prober = Prober(probe_url) if probe_url else None
    if prober:
        prober.start()
        time.sleep(0.3)
    start = time.monotonic()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, env=_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = MemorySampler(proc.pid) if memory else None
    if sampler:
        sampler.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - start
    result = {"seconds": round(seconds, 3), "rc": proc.returncode}
    if sampler:
        sampler.stop_flag.set()
        sampler.join()
        result["peak_mib"], result["peak_process"] = sampler.max_mib()
    if prober:
        time.sleep(0.5)
        prober.stop_flag.set()
        prober.join()
        result["unavailable_s"] = prober.unavailable_s()
    if proc.returncode != 0:
        fatal = [line for line in out.splitlines() if line.startswith(("fatal:", "failed:"))]
        log(f"  rc={proc.returncode}: {' '.join(map(str, cmd))[:120]}\n" + "\n".join(fatal)[:4000] + f"\n{out[-3000:]}")
    return result


def playbook_cmd(name, *args, extra=None):
    cmd = [VENV_BIN / "ansible-playbook", REPO / "playbooks" / name, *args]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    return cmd


def mitogen_env():
    """The environment of `make ... STRATEGY=mitogen_linear`: Ansible's strategy replaced by Mitogen's."""
    import ansible_mitogen  # noqa: PLC0415  (only the mitogen rows need it)
    return {"ANSIBLE_STRATEGY": "mitogen_linear",
            "ANSIBLE_STRATEGY_PLUGINS": str(Path(ansible_mitogen.__file__).parent / "plugins" / "strategy")}


# -- the stacks ------------------------------------------------------------------------------------------------

def todo_env():
    root = sandbox_root()
    return {"STACK_DIR": str(root / "todo"), "PROJECT": "deploy", "ENV_FILE": ".env.prod", "COMPOSE_FILES": " ".join(TODO_FILES),
            "HEALTH_URL": "http://127.0.0.1:8101/health", "BACKUP_DIR": str(root / "backups" / "todo")}


def sprint_env():
    root = sandbox_root()
    return {"STACK_DIR": str(root / "sprint"), "PROJECT": "sprint", "ENV_FILE": ".env", "COMPOSE_FILES": " ".join(SPRINT_FILES)}


def volume_path(volume):
    return run(["docker", "volume", "inspect", "-f", "{{.Mountpoint}}", volume], check=True).stdout.strip()


def grow_sqlite(target_bytes):
    """Add task-like rows to the live todo DB (the worker keeps writing) until it holds target_bytes.

    Each row is about 1 KiB: 128 random bytes (as hex) and text from a small set of sentences, so the DB
    compresses about as a bot's data does (zstd -3: 5.7:1 measured), not like random blobs (1:1).
    """
    db = Path(volume_path("deploy_db_data")) / "organizer.db"
    have = db.stat().st_size
    if have >= target_bytes:
        return have
    rows = (target_bytes - have) // 1000 + 1
    sentences = ["Call the bank about the card ending %d", "Buy milk, bread and coffee for the office, item %d",
                 "Review the pull request of the notification worker #%d", "Remind the team about the Friday deploy %d",
                 "Renew the TLS certificate of the API host before the %dth", "Pay the VPS invoice number %d"]
    text = " || ".join(f"printf('{t}', n % 997)" for t in sentences)
    sql = ("PRAGMA busy_timeout=60000; CREATE TABLE IF NOT EXISTS bench_tasks(id INTEGER PRIMARY KEY, owner INTEGER, body TEXT, note TEXT);"
           f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM g WHERE n < {rows}) "
           f"INSERT INTO bench_tasks(owner, body, note) SELECT n % 5000, hex(randomblob(128)), {text} || ' ' || {text} FROM g;"
           # Into the main file, so its size is the DB's size (small inserts would stay in the WAL).
           "PRAGMA wal_checkpoint(PASSIVE);")
    run(["sqlite3", db, sql], check=True, timeout=1800)
    return db.stat().st_size


def grow_postgres(target_bytes):
    """Fill sprint's Postgres with rows until the database is target_bytes."""
    def size():
        out = compose(Path(sprint_env()["STACK_DIR"]), "sprint", SPRINT_FILES, ".env", "exec", "-T", "db", "sh", "-c",
                      'psql -X -tA -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "select pg_database_size(current_database())"').stdout
        return int(out.strip())
    have = size()
    while have < target_bytes:  # rows take more room than estimated (tuple headers, TOAST): measure again
        rows = (target_bytes - have) // 300 + 1000
        sql = ("CREATE TABLE IF NOT EXISTS bench_rows(id bigint, payload text); "
               f"INSERT INTO bench_rows SELECT g, md5(random()::text) || repeat(md5((g * 7)::text), 8) FROM generate_series(1, {rows}) g;")
        compose(Path(sprint_env()["STACK_DIR"]), "sprint", SPRINT_FILES, ".env", "exec", "-T", "db", "sh", "-c",
                f'psql -X -q -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "{sql}"')
        have = size()
    return have


def reset_todo_to_v1():
    """A clean v1 todo stack (fresh DB volume, schema applied by the v1 api at start)."""
    stack = Path(todo_env()["STACK_DIR"])
    env = stack / ".env.prod"
    env.write_text("\n".join(line if not line.startswith("APP_VERSION=") else "APP_VERSION=v1" for line in env.read_text().splitlines()) + "\n")
    compose(stack, "deploy", TODO_FILES, ".env.prod", "down", "-v", "--remove-orphans")
    compose(stack, "deploy", TODO_FILES, ".env.prod", "up", "-d", "--wait")


# -- pairs -------------------------------------------------------------------------------------------------------

def summarize(name, ours, base, target, unit="wall time", extra=None, note=""):
    ratios = [o["seconds"] / b["seconds"] for o, b in zip(ours, base, strict=True)]
    entry = {
        "operation": name, "target": target, "metric": unit,
        "ours_median_s": round(statistics.median(o["seconds"] for o in ours), 3),
        "baseline_median_s": round(statistics.median(b["seconds"] for b in base), 3),
        "ratio_median": round(statistics.median(ratios), 2), "ratio_min": round(min(ratios), 2), "ratio_max": round(max(ratios), 2),
        "runs": len(ratios), "rc_ours": [o["rc"] for o in ours], "rc_baseline": [b["rc"] for b in base], "note": note,
    }
    entry.update(extra or {})
    return entry


def pair_daily_check(reps, mitogen=False):
    log("pair 1: daily check vs the shell sequence and the empty playbook" + (" (mitogen)" if mitogen else ""))
    ours, shell, empty, ping = [], [], [], []
    for i in range(reps):
        shell.append(timed(["bash", BASE / "daily_check.sh"], env=todo_env()))
        empty.append(timed([VENV_BIN / "ansible-playbook", REPO / "bench" / "empty.yml", "-l", "todo_stacks"]))
        ping.append(timed([VENV_BIN / "ansible-playbook", REPO / "bench" / "ping.yml", "-l", "todo_stacks"]))
        ours.append(timed(playbook_cmd("daily-check.yml", "-l", "todo_stacks"), env=mitogen_env() if mitogen else None))
        log(f"  rep {i + 1}: daily-check {ours[-1]['seconds']} s, empty playbook {empty[-1]['seconds']} s, "
            f"one ping {ping[-1]['seconds']} s, shell {shell[-1]['seconds']} s")
    if mitogen:
        return [summarize("Mitogen: daily check (todo) vs empty playbook", ours, empty, "<= 2.5x")]
    return [summarize("Daily check (todo) vs empty playbook", ours, empty, "<= 2.5x"),
            summarize("One module call (ping) vs empty playbook", ping, empty, "informational"),
            summarize("Daily check (todo) vs shell", ours, shell, "informational")]


def pair_tiny_backup(reps, mitogen=False):
    log("pair 9: backup of the tiny todo DB (local target) vs the empty playbook" + (" (mitogen)" if mitogen else ""))
    ours, empty, floor = [], [], []
    for i in range(reps):
        empty.append(timed([VENV_BIN / "ansible-playbook", REPO / "bench" / "empty.yml", "-l", "todo_stacks"]))
        if not mitogen:
            # The backup's seven module calls as pings: the floor under its target, measured beside it.
            floor.append(timed([VENV_BIN / "ansible-playbook", REPO / "bench" / "floor-backup.yml", "-l", "todo_stacks"]))
        ours.append(timed(playbook_cmd("backup.yml", "-l", "todo_stacks", extra={"backup_s3_enabled": False}), memory=True,
                          env=mitogen_env() if mitogen else None))
        log(f"  rep {i + 1}: backup {ours[-1]['seconds']} s, empty playbook {empty[-1]['seconds']} s"
            + (f", its seven module calls as pings {floor[-1]['seconds']} s" if floor else ""))
    label = "Mitogen: backup" if mitogen else "Backup"
    rows = [summarize(f"{label} of a tiny DB (todo, local target) vs empty playbook", ours, empty, "<= 5x",
                      extra={"peak_mib": max(o["peak_mib"] for o in ours)})]
    if floor:
        rows.append(summarize("The tiny backup's 7 module calls as pings vs empty playbook", floor, empty, "informational"))
    return rows


def pair_deploy(reps, out_dir, mitogen=False):
    log("pair 2: deploy v1 -> v2 vs the careful shell script and the bare sequence (health probed every 50 ms)"
        + (" (mitogen)" if mitogen else ""))
    url = todo_env()["HEALTH_URL"]
    careful_env = {**todo_env(), "DB_FILE": str(Path(volume_path("deploy_db_data")) / "organizer.db"), "OUT_DIR": str(out_dir)}
    ours, bare, careful = [], [], []
    for i in range(reps):
        reset_todo_to_v1()
        bare.append(timed(["bash", BASE / "deploy_v1_v2.sh"], env=todo_env(), probe_url=url))
        reset_todo_to_v1()
        careful.append(timed(["bash", BASE / "deploy_careful.sh"], env=careful_env, probe_url=url))
        reset_todo_to_v1()
        # Rehearsal off: the baseline does the same safety steps; pair 8 measures what the rehearsal adds.
        ours.append(timed(playbook_cmd("deploy.yml", "-l", "todo_stacks", extra={"deploy_version": "v2", "deploy_rehearse": False}),
                          probe_url=url, env=mitogen_env() if mitogen else None))
        log(f"  rep {i + 1}: playbook {ours[-1]['seconds']} s ({ours[-1]['unavailable_s']} s down), "
            f"careful {careful[-1]['seconds']} s, bare {bare[-1]['seconds']} s ({bare[-1]['unavailable_s']} s down)")
    extra = {"unavailable_ours_median_s": statistics.median(o["unavailable_s"] for o in ours),
             "unavailable_baseline_median_s": statistics.median(b["unavailable_s"] for b in bare)}
    extra["unavailable_added_s"] = round(extra["unavailable_ours_median_s"] - extra["unavailable_baseline_median_s"], 3)
    for name in ("careful-premigration.db.zst", "careful-premigration.db.zst.sha256"):
        (out_dir / name).unlink(missing_ok=True)
    label = "Mitogen: deploy" if mitogen else "Deploy"
    rows = [summarize(f"{label} v1 -> v2 (todo, rehearsal off) vs careful shell", ours, careful, "<= 2x wall, <= +0.5 s unavailable",
                      extra=extra, note="careful shell: sqlite3 .backup + zstd + sha256sum, migrate, up -d, health loop; "
                                        "unavailability against the bare up -d")]
    if not mitogen:
        rows.append(summarize("Deploy v1 -> v2 (todo, rehearsal off) vs bare sequence", ours, bare, "informational"))
    return rows


def ensure_todo_at(version):
    """The todo stack running `version` (the api applies its migrations at start), healthy."""
    stack = Path(todo_env()["STACK_DIR"])
    env = stack / ".env.prod"
    env.write_text("\n".join(line if not line.startswith("APP_VERSION=") else f"APP_VERSION={version}"
                             for line in env.read_text().splitlines()) + "\n")
    compose(stack, "deploy", TODO_FILES, ".env.prod", "up", "-d", "--wait")


class ApiEvents(threading.Thread):
    """The todo api containers' events, read as they come (the daemon keeps only its last 256, fewer than a slow run
    makes). Read on a thread: a pipe nobody reads fills with the healthcheck's exec events within seconds, and the
    events after that (the bad container's start, its unhealthy verdict) were lost."""

    def __init__(self):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(["docker", "events", "--format", "{{json .}}", "--filter", "type=container",
                                      "--filter", "label=com.docker.compose.project=deploy",
                                      "--filter", "label=com.docker.compose.service=api"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lines = []
        self.start()

    def run(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self):
        """Stop watching; the events: [(time, image, status)]."""
        self.proc.terminate()
        self.proc.wait()
        self.join(timeout=5)
        events = []
        for line in self.lines:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            events.append((e["timeNano"] / 1e9, e.get("Actor", {}).get("Attributes", {}).get("image", ""), e.get("status", "")))
        return events


def bad_release(cmd, env, rolled_back, bad_image="tgops-sandbox/todo:broken"):
    """Run one bad release (playbook or by hand) with the health URL probed every 50 ms.

    rc 0 when the run ended the way it must (the bad release refused, the previous version serving); the figures:
    seconds = longest window without HTTP 200, from_start_s = from the bad api container's start to HTTP 200 again,
    verdict_s = from that start to Docker's `unhealthy`, reaction_s = from `unhealthy` to HTTP 200 again.
    """
    prober = Prober(todo_env()["HEALTH_URL"])
    watcher = ApiEvents()
    prober.start()
    time.sleep(0.3)
    began, start = time.time(), time.monotonic()
    proc = subprocess.run([str(c) for c in cmd], cwd=REPO, env=_env(env), capture_output=True, text=True, check=False)
    run_s = time.monotonic() - start
    time.sleep(0.5)
    prober.stop_flag.set()
    prober.join()
    outage, _down, _up = prober.longest_outage()
    events = watcher.stop()
    started = next((t for t, image, status in events if status == "start" and image == bad_image), None)
    unhealthy = next((t for t, image, status in events if status.startswith("health_status: unhealthy") and image == bad_image), None)
    back = prober.first_ok_after(unhealthy or started or began)
    ok = rolled_back(proc) and healthy_now(todo_env()["HEALTH_URL"])
    if not ok:
        log(f"  bad release run did not end as it must (rc={proc.returncode}): {' '.join(map(str, cmd))[:120]}\n"
            + (proc.stdout + proc.stderr)[-3000:])
    seen = [f"{status}@{round(t - started, 1) if started else '?'}" for t, image, status in events
            if image == bad_image and not status.startswith("exec")]
    return {"seconds": outage, "rc": 0 if ok else 1, "run_s": round(run_s, 3), "bad_events": seen,
            "from_start_s": round(back - started, 3) if back and started else None,
            "verdict_s": round(unhealthy - started, 3) if unhealthy and started else None,
            "reaction_s": round(back - unhealthy, 3) if back and unhealthy else None}


def healthy_now(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except Exception:  # noqa: BLE001 - any failure is "not serving"
        return False


def pair_bad_release(reps):
    log("pair 7: outage of a bad release (todo:broken over v2) vs up --wait and a rollback by hand (health probed every 50 ms)")
    ours, bare = [], []
    for i in range(reps):
        ensure_todo_at("v2")
        bare.append(bad_release(["bash", BASE / "deploy_broken_rollback.sh"],
                                {**todo_env(), "BAD_VERSION": "broken", "GOOD_VERSION": "v2"}, lambda p: p.returncode == 0))
        ensure_todo_at("v2")
        # Rehearsal off: this measures the production gate (with it on, the release never reaches production).
        ours.append(bad_release(playbook_cmd("deploy.yml", "-l", "todo_stacks", extra={"deploy_version": "broken", "deploy_rehearse": False}),
                                None,
                                lambda p: p.returncode != 0 and "rolled back to the previous images (healthy again)" in p.stdout))
        log(f"  rep {i + 1}: playbook {ours[-1]} ; by hand {bare[-1]}")

    def med(rows, key):
        values = [r[key] for r in rows if r.get(key) is not None]
        return round(statistics.median(values), 3) if values else None

    extra = {"outage_from_start_ours_median_s": med(ours, "from_start_s"), "outage_from_start_baseline_median_s": med(bare, "from_start_s"),
             "docker_verdict_median_s": med(ours, "verdict_s"), "reaction_ours_median_s": med(ours, "reaction_s"),
             "reaction_baseline_median_s": med(bare, "reaction_s"), "run_ours_median_s": med(ours, "run_s")}
    return [summarize("Outage of a bad release (todo:broken over v2)", ours, bare,
                      "previous version serves within 30 s of the new containers starting",
                      unit="longest window without HTTP 200", extra=extra)]


def pair_rehearsal(reps):
    log("pair 8: the deploy rehearsal of the current release vs the restore verification of the same DB (todo, sprint)")
    play = REPO / "tests" / "integration" / "playbooks" / "rehearse-current.yml"
    out = []
    for stack in ("todo", "sprint"):
        ours, base = [], []
        for i in range(reps):
            base.append(timed(playbook_cmd("restore.yml", "-l", f"{stack}_stacks", extra={"restore_mode": "verify"})))
            ours.append(timed([VENV_BIN / "ansible-playbook", play, "-l", f"{stack}_stacks"]))
            log(f"  rep {i + 1} ({stack}): rehearsal {ours[-1]['seconds']} s, restore verification {base[-1]['seconds']} s")
        out.append(summarize(f"Deploy rehearsal ({stack}) vs restore verification", ours, base, "<= 1.5x",
                             note="what a rehearsed deploy adds over deploy_rehearse=false"))
    return out


def pair_sqlite_backup(reps, sizes, out_dir):
    log(f"pair 3: SQLite backup under concurrent writes vs VACUUM INTO + zstd, sizes {sizes}")
    results, memory = [], {}
    for size in sizes:
        actual = grow_sqlite(size)
        db = Path(volume_path("deploy_db_data")) / "organizer.db"
        ours, base = [], []
        n = reps if size == sizes[-1] else 1
        for i in range(n):
            base.append(timed(["bash", BASE / "backup_sqlite.sh"], env={"DB_FILE": str(db), "OUT_DIR": str(out_dir)}))
            ours.append(timed(playbook_cmd("backup.yml", "-l", "todo_stacks", extra={"backup_s3_enabled": False}), memory=True))
            log(f"  {actual >> 20} MiB rep {i + 1}: playbook {ours[-1]['seconds']} s (peak {ours[-1]['peak_mib']} MiB), shell {base[-1]['seconds']} s")
        memory[f"{actual >> 20} MiB"] = {"peak_mib": max(o["peak_mib"] for o in ours),
                                          "process": max(ours, key=lambda o: o["peak_mib"])["peak_process"]}
        if size == sizes[-1]:
            results.append(summarize(f"SQLite backup, {actual >> 20} MiB, worker writing", ours, base, "<= 2x, peak RSS < 150 MiB",
                                     extra={"peak_memory": memory}))
        (out_dir / "baseline-copy.db.zst").unlink(missing_ok=True)
    return results


def pair_postgres_backup(reps, size, out_dir):
    log(f"pair 4: Postgres backup vs pg_dump -Fc, database >= {size >> 20} MiB")
    actual = grow_postgres(size)
    ours, base = [], []
    for i in range(reps):
        base.append(timed(["bash", BASE / "backup_postgres.sh"], env={**sprint_env(), "OUT_DIR": str(out_dir)}))
        ours.append(timed(playbook_cmd("backup.yml", "-l", "sprint_stacks", extra={"backup_s3_enabled": False}), memory=True))
        log(f"  rep {i + 1}: playbook {ours[-1]['seconds']} s, shell {base[-1]['seconds']} s")
    (out_dir / "baseline.dump").unlink(missing_ok=True)
    return [summarize(f"Postgres backup, {actual >> 20} MiB database", ours, base, "<= 1.5x",
                      extra={"peak_mib": max(o["peak_mib"] for o in ours)})]


def pair_restore(reps, out_dir):
    log("pair 5: restore verification of the SQLite archive from S3 vs aws s3 cp + sha256sum + zstd + integrity_check")
    res = run(playbook_cmd("backup.yml", "-l", "todo_stacks"), timeout=3600)  # an archive of the current (large) DB, latest moved
    if res.rc != 0:
        log(res.output[-3000:])
    env = {**AWS_ENV, "S3_URL": "s3://tgops-backups/todo/latest.tar.zst", "ENDPOINT": S3_ENDPOINT, "OUT_DIR": str(out_dir),
           "AWS_BIN": str(VENV_BIN / "aws")}
    ours, base = [], []
    for i in range(reps):
        base.append(timed(["bash", BASE / "restore_verify.sh"], env=env))
        ours.append(timed(playbook_cmd("restore.yml", "-l", "todo_stacks", extra={"restore_mode": "verify"}), memory=True))
        log(f"  rep {i + 1}: playbook {ours[-1]['seconds']} s, shell {base[-1]['seconds']} s")
    return [summarize("Restore verification (SQLite archive from S3)", ours, base, "<= 2x",
                      extra={"peak_mib": max(o["peak_mib"] for o in ours)})]


def pair_fleet(reps, counts, work, mitogen_reps=0):
    """The daily check across 1 and N hosts over SSH; with ``mitogen_reps`` the same curve under Mitogen on the same
    hosts right after (their fresh backups, made once, serve both)."""
    log(f"pair 6: daily check across {counts} hosts over SSH" + (" (and under mitogen)" if mitogen_reps else ""))
    sshd = fleetlib.Sshd(work / "ssh").start()
    hosts = []
    try:
        curves = {False: {}, True: {}}
        while len(hosts) < counts[-1]:  # appended one by one: the finally below removes every host rendered
            hosts.append(fleetlib.render_host(len(hosts) + 1))
        # One backup run over every host gives each the fresh archive its daily check looks for (the smaller
        # inventories are the first hosts of the largest).
        run(playbook_cmd("backup.yml", *fleetlib.inventory_args(fleetlib.write_inventory(work / "fleet-all.json", hosts, sshd))),
            timeout=1800)
        for count in counts:
            args = fleetlib.inventory_args(fleetlib.write_inventory(work / f"fleet-{count}.json", hosts[:count], sshd))
            for mitogen, n in ((False, reps), (True, mitogen_reps)):
                if n:
                    curves[mitogen][count] = [timed(playbook_cmd("daily-check.yml", *args), env=mitogen_env() if mitogen else None)
                                              for _ in range(n)]
                    log(f"  {count} host(s){' (mitogen)' if mitogen else ''}: {[t['seconds'] for t in curves[mitogen][count]]}")
        rows = []
        for mitogen, curve in curves.items():
            if not curve:
                continue
            label = "Mitogen: daily check" if mitogen else "Daily check"
            entry = summarize(f"{label}, {counts[-1]} hosts vs 1 host (SSH)", curve[counts[-1]], curve[counts[0]], "<= 3x")
            entry["curve_median_s"] = {str(c): round(statistics.median(t["seconds"] for t in curve[c]), 3) for c in counts}
            rows.append(entry)
        return rows
    finally:
        sshd.stop()
        for i in range(1, len(hosts) + 1):
            fleetlib.remove_host(i)


# -- report ------------------------------------------------------------------------------------------------------

def machine_line():
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")) // 1024
    docker = run(["docker", "version", "-f", "{{.Server.Version}}"]).stdout.strip()
    compose_v = run(["docker", "compose", "version", "--short"]).stdout.strip()
    ansible = run([VENV_BIN / "ansible", "--version"]).stdout.splitlines()[0]
    return (f"{platform.node()}: {os.cpu_count()} CPU, {mem} MiB RAM, {platform.system()} {platform.release()}, "
            f"Docker {docker}, Compose {compose_v}, {ansible}, Python {platform.python_version()}")


def write_report(results, out, machine, args):
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for r in results:
        r["target_met"] = target_verdict(r)[0]
    data = {"date": stamp, "machine": machine, "repetitions": args.reps, "smoke": args.smoke, "results": results}
    (out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    lines = [f"# Bench results ({'smoke, ' if args.smoke else ''}{stamp})", "", f"Machine: {machine}", "",
             f"Each pair ran alternately {args.reps} time(s), the long pairs (deploy, rehearsal, bad release) and the Mitogen "
             f"rows {min(args.reps, 2)} (a row's runs are in results.json); ratios are ours / baseline, median (min-max).", "",
             "| operation | baseline | target | median ratio | min-max | target met | ours median | baseline median | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        notes = []
        if "unavailable_added_s" in r:
            notes.append(f"unavailable: ours {r['unavailable_ours_median_s']} s, bare {r['unavailable_baseline_median_s']} s "
                         f"({r['unavailable_added_s']:+.3f} s)")
        if "peak_memory" in r:
            notes.append("peak RSS: " + ", ".join(f"{k}: {v['peak_mib']} MiB" for k, v in r["peak_memory"].items()))
        elif "peak_mib" in r:
            notes.append(f"peak RSS {r['peak_mib']} MiB")
        if "outage_from_start_ours_median_s" in r:
            notes.append(f"from the bad containers' start to HTTP 200: ours {r['outage_from_start_ours_median_s']} s, "
                         f"by hand {r['outage_from_start_baseline_median_s']} s; Docker's unhealthy verdict after "
                         f"{r['docker_verdict_median_s']} s (the image's healthcheck), then 200 again in "
                         f"{r['reaction_ours_median_s']} s (by hand {r['reaction_baseline_median_s']} s); "
                         f"playbook run {r['run_ours_median_s']} s")
        if "curve_median_s" in r:
            notes.append("curve: " + ", ".join(f"{k} host(s) {v} s" for k, v in r["curve_median_s"].items()))
        if any(r["rc_ours"]) or any(r["rc_baseline"]):
            notes.append(f"non-zero rc: ours {r['rc_ours']}, baseline {r['rc_baseline']}")
        base_name = r["operation"].split(" vs ")[-1] if " vs " in r["operation"] else "shell"
        met = target_verdict(r)[0]
        lines.append(f"| {r['operation']} | {base_name} | {r['target']} | {r['ratio_median']}x | {r['ratio_min']}-{r['ratio_max']}x | "
                     f"{met} | {r['ours_median_s']} s | {r['baseline_median_s']} s | {'; '.join(notes)} |")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    log(f"wrote {out / 'results.md'} and {out / 'results.json'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny data, one repetition: checks the suite runs")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    parser.add_argument("--only", default="", help="comma-separated pair numbers (1-10)")
    parser.add_argument("--merge", action="store_true", help="with --only: replace those results in the existing results.json")
    args = parser.parse_args(argv)
    args.reps = args.reps or (1 if args.smoke else 3)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.out / "work"
    work.mkdir(exist_ok=True)
    only = {int(x) for x in args.only.split(",") if x}
    log("bringing the sandbox up (fresh)")
    run([SANDBOX_BIN / "up.sh", "all", "--fresh"], env=PLANTED, check=True, timeout=900)
    run([SANDBOX_BIN / "s3-server.sh", "start"], check=True)
    run([VENV_BIN / "aws", "--endpoint-url", S3_ENDPOINT, "s3", "mb", "s3://tgops-backups"], env=AWS_ENV)
    res = run(playbook_cmd("backup.yml"), timeout=1800)
    if res.rc != 0:
        log(res.output[-3000:])
    mib = 1 << 20
    sizes = [2 * mib, 4 * mib] if args.smoke else [256 * mib, 1024 * mib]
    pg_size = 2 * mib if args.smoke else 512 * mib
    counts = [1, 2] if args.smoke else [1, 8]
    # The pairs whose one repetition takes a minute or more (a deploy, a bad release waiting for Docker's unhealthy
    # verdict, two rehearsals) and the Mitogen rows run 2 repetitions, so the suite stays under 20 minutes.
    long_reps = min(args.reps, 2)
    pairs = [
        (1, lambda: pair_daily_check(args.reps)),
        (9, lambda: pair_tiny_backup(args.reps)),
        # The Mitogen fleet row is measured here, on the same hosts (pair 10 has the other Mitogen rows).
        (6, lambda: pair_fleet(args.reps, counts, work, mitogen_reps=long_reps)),
        (2, lambda: pair_deploy(long_reps, work)),
        (8, lambda: pair_rehearsal(long_reps)),
        (7, lambda: pair_bad_release(long_reps)),
        # The same rows with Mitogen's strategy (make ... STRATEGY=mitogen_linear); the baselines run again beside
        # them. Before pairs 3-5, which grow the DBs.
        (10, lambda: pair_daily_check(long_reps, mitogen=True) + pair_tiny_backup(long_reps, mitogen=True)
         + pair_deploy(long_reps, work, mitogen=True)),
        (3, lambda: pair_sqlite_backup(args.reps, sizes, work)),
        (5, lambda: pair_restore(args.reps, work)),
        (4, lambda: pair_postgres_backup(args.reps, pg_size, work)),
    ]
    results = []
    machine = machine_line()
    previous = []
    if args.merge and (args.out / "results.json").exists():
        previous = json.loads((args.out / "results.json").read_text())["results"]
    for number, pair in pairs:
        if not only or number in only:
            fresh = pair()
            names = {r["operation"].split(",")[0] for r in fresh}
            previous = [r for r in previous if r["operation"].split(",")[0] not in names]
            results.extend(fresh)
            write_report(previous + results, args.out, machine, args)
    if not only and len(results) != 18 or args.merge and len(previous + results) != 18:
        log(f"incomplete: {len(results)} of 18 results")
        return 1
    failed = [r["operation"] for r in results if any(r["rc_ours"]) or any(r["rc_baseline"])]
    if failed:
        log(f"runs failed (non-zero rc) in: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
