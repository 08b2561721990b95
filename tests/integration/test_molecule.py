"""The molecule scenario (converge, idempotence, testinfra verify) on the running sandbox."""
from __future__ import annotations

from conftest import REPO, VENV_BIN, run


def test_molecule_default_scenario(todo_dir, tmp_path):
    res = run([VENV_BIN / "molecule", "test", "-s", "default"], cwd=REPO,
              env={"TGOPS_JOURNAL_DIR": str(tmp_path)}, timeout=900)
    assert res.rc == 0, res
    assert "Idempotence completed successfully" in res.output or "idempotence" in res.output.lower()
    assert (tmp_path / "OPS_JOURNAL.md").exists()
