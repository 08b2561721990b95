"""The docs stay true to the project: the role reference matches the argument specs, links resolve.

Needs no Docker: it reads files only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen-role-docs.py"
REFERENCE = ROOT / "docs" / "reference" / "roles.md"
MODULES_DIR = ROOT / "collections" / "ansible_collections" / "tgops" / "stack" / "plugins" / "modules"

# [text](target) outside code spans; the target up to a space or ')'.
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_CODE_SPAN = re.compile(r"`[^`]*`")


def _markdown_files():
    files = [ROOT / "README.md"]
    files += sorted((ROOT / "docs").rglob("*.md"))
    return files


def _links(path: Path):
    in_fence = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence or line.startswith("    "):
            continue
        for match in _LINK.finditer(_CODE_SPAN.sub("", line)):
            yield number, match.group(1)


def test_role_reference_matches_argument_specs(tmp_path):
    out = tmp_path / "roles.md"
    subprocess.run([sys.executable, str(GENERATOR), "--output", str(out)], check=True, cwd=ROOT)
    assert REFERENCE.exists(), "docs/reference/roles.md is missing: run `make docs`"
    expected = out.read_text(encoding="utf-8")
    current = REFERENCE.read_text(encoding="utf-8")
    assert current == expected, (
        "docs/reference/roles.md differs from roles/*/meta/argument_specs.yml: run `make docs` and commit the result"
    )


def test_role_reference_is_deterministic(tmp_path):
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    for out in (first, second):
        subprocess.run([sys.executable, str(GENERATOR), "--output", str(out)], check=True, cwd=ROOT)
    assert first.read_bytes() == second.read_bytes()


def _anchors(path: Path):
    """GitHub's heading anchors of a Markdown file."""
    anchors = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match and not in_fence:
            text = match.group(1).lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text)))
    return anchors


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    broken = []
    for number, target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # URLs and mail addresses
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part) if file_part else path
        if not linked.exists():
            broken.append(f"{path.relative_to(ROOT)}:{number}: {target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{path.relative_to(ROOT)}:{number}: {target} (no such heading)")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_modules_page_lists_every_module():
    page = (ROOT / "docs" / "modules.md").read_text(encoding="utf-8")
    missing = [p.stem for p in sorted(MODULES_DIR.glob("*.py")) if f"`{p.stem}`" not in page]
    assert not missing, f"docs/modules.md does not list: {', '.join(missing)}"


def test_docs_do_not_cite_issue_numbers():
    pattern = re.compile(r"\bissues? #?\d+\b", re.IGNORECASE)
    hits = []
    for path in _markdown_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "the docs speak of the project, not of the issue tracker:\n" + "\n".join(hits)


CONTRACT_SYNC = ROOT / "scripts" / "stack-contract.py"


def test_every_role_declares_the_stack_contract_as_written_once():
    res = subprocess.run([sys.executable, str(CONTRACT_SYNC), "--check"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    contract = yaml.safe_load((ROOT / "meta" / "stack_contract.yml").read_text())
    declared = set()
    for path in ROOT.glob("roles/*/meta/argument_specs.yml"):
        for spec in yaml.safe_load(path.read_text())["argument_specs"].values():
            declared |= {k for k in spec.get("options") or {} if k.startswith("stack_") and not k.startswith("stack_lock_")}
    assert declared == set(contract), "every contract variable is read by a role, and every stack_* variable is in the contract"


def test_a_role_that_drifts_from_the_stack_contract_is_named(tmp_path):
    shutil.copytree(ROOT / "meta", tmp_path / "meta")
    for path in ROOT.glob("roles/*/meta/argument_specs.yml"):
        dest = tmp_path / path.relative_to(ROOT)
        dest.parent.mkdir(parents=True)
        shutil.copy(path, dest)
    spec = tmp_path / "roles" / "daily_check" / "meta" / "argument_specs.yml"
    text = spec.read_text()
    assert "description: Compose project name (C(docker compose -p)).}" in text
    spec.write_text(text.replace("description: Compose project name (C(docker compose -p)).}", "description: The project.}", 1))
    res = subprocess.run([sys.executable, str(CONTRACT_SYNC), "--check", "--root", str(tmp_path)], check=False, capture_output=True, text=True)
    assert res.returncode == 1 and "daily_check: its stack_* options differ from the stack contract" in res.stderr, res
    res = subprocess.run([sys.executable, str(CONTRACT_SYNC), "--root", str(tmp_path)], check=False, capture_output=True, text=True)
    assert res.returncode == 0 and "written into: daily_check" in res.stdout, res
    assert spec.read_text() == text
