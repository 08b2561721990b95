"""Ten runs writing the same ops journal at once (real ansible processes, the real module): nothing is lost."""
from __future__ import annotations

import json
import subprocess
import threading

from conftest import VENV_BIN, _env

HAND = "# Ops journal\n\nHand-written intro, kept byte for byte.\n\n## Incidents and actions\n\nA note by hand, 2026-02-22.\n"


def test_ten_concurrent_runs_keep_every_entry(tmp_path):
    path = tmp_path / "OPS_JOURNAL.md"
    path.write_text(HAND)
    barrier = threading.Barrier(10)
    results = {}

    def one(i):
        args = {"path": str(path), "entry_id": f"deploy-{i:02d}", "section": "changes", "kind": "deploy",
                "content": f"### Deploy {i}\n- run {i}\n", "record": {"run": i}}
        cmd = [str(VENV_BIN / "ansible"), "localhost", "-m", "tgops.stack.journal_entry", "-a", json.dumps(args)]
        barrier.wait()
        proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300, check=False)
        results[i] = proc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = {i: r.stdout + r.stderr for i, r in results.items() if r.returncode != 0}
    assert not failed, failed
    text = path.read_text()
    for i in range(10):
        assert f"<!-- tgops:begin id=deploy-{i:02d} -->" in text and f"### Deploy {i}\n" in text
    assert text.startswith("# Ops journal\n\nHand-written intro, kept byte for byte.\n")
    assert "A note by hand, 2026-02-22.\n" in text
    records = [json.loads(line) for line in (tmp_path / "OPS_JOURNAL.jsonl").read_text().splitlines()]
    assert sorted(r["results"]["run"] for r in records) == list(range(10))
