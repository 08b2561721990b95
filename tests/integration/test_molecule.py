"""The molecule scenario (converge, idempotence, testinfra verify) on the running sandbox."""
from __future__ import annotations

import re

from conftest import REPO, VENV_BIN, run


def test_molecule_default_scenario(todo_dir, tmp_path):
    res = run([VENV_BIN / "molecule", "test", "-s", "default"], cwd=REPO,
              env={"TGOPS_JOURNAL_DIR": str(tmp_path), "NO_COLOR": "1", "PY_COLORS": "0"}, timeout=900)
    assert res.rc == 0, res
    for step in ("converge", "idempotence", "verify"):
        assert re.search(step + r"\W+Executed: Successful", res.output), f"molecule step {step} did not succeed\n{res}"
    assert (tmp_path / "todo" / "OPS_JOURNAL.md").exists()
    assert (tmp_path / "sprint" / "OPS_JOURNAL.md").exists()
