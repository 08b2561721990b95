#!/usr/bin/env python3
"""Write the stack contract (meta/stack_contract.yml) into every role's meta/argument_specs.yml, or check it.

Each `stack_*` option a role declares (the stack_lock role's own `stack_lock_*` variables aside) gets the contract's
type, elements, choices, default and description; the role keeps only its own `required` (a required option has no
default). With --check nothing is written and the exit status is 1 when a role differs, naming the role, the entry
point and the variable. Unknown `stack_*` options (not in the contract) are an error either way.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "meta" / "stack_contract.yml"
ORDER = ("type", "elements", "choices", "required", "default", "no_log", "description")
OPTION = re.compile(r"^      (stack_[a-z0-9_]+):(.*)$")  # an option of an entry point (6 spaces in)
PLAIN = re.compile(r"^[A-Za-z0-9_./()<>' -][^,:{}\[\]#&*!|>'\"%@`]*$")
WIDTH = 160


def is_contract_name(name: str) -> bool:
    return name.startswith("stack_") and not name.startswith("stack_lock_")


def scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    text = str(value)
    if text and PLAIN.match(text) and text.strip() == text and text.lower() not in ("true", "false", "null", "yes", "no"):
        return text
    return json.dumps(text)


def render(contract: dict, name: str, required: bool) -> list[str]:
    """The option's lines: one flow mapping when it fits in WIDTH, else a block."""
    spec = dict(contract[name])
    if required:
        spec.pop("default", None)
        spec["required"] = True
    items = [(k, spec[k]) for k in ORDER if k in spec]
    line = f"      {name}: {{" + ", ".join(f"{k}: {scalar(v)}" for k, v in items) + "}"
    if len(line) <= WIDTH:
        return [line]
    return [f"      {name}:"] + [f"        {k}: {scalar(v)}" for k, v in items]


def sync(path: Path, contract: dict, problems: list) -> str:
    """The file's text with every contract option rendered from the contract."""
    lines = path.read_text().splitlines()
    role = path.parent.parent.name
    out, i = [], 0
    while i < len(lines):
        match = OPTION.match(lines[i])
        if not match or not is_contract_name(match.group(1)):
            out.append(lines[i])
            i += 1
            continue
        name = match.group(1)
        end = i + 1
        while end < len(lines) and (lines[end].startswith("        ") or not lines[end].strip()):
            end += 1
        current = yaml.safe_load("\n".join(line[6:] for line in lines[i:end]))[name]
        if name not in contract:
            problems.append(f"{role}: {name} is not in {CONTRACT.relative_to(ROOT)}; add it there or rename it")
            out.extend(lines[i:end])
        else:
            out.extend(render(contract, name, bool((current or {}).get("required"))))
        i = end
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (default: this checkout)")
    args = parser.parse_args()
    contract = yaml.safe_load((args.root / CONTRACT.relative_to(ROOT)).read_text())
    problems, changed = [], []
    for path in sorted(args.root.glob("roles/*/meta/argument_specs.yml")):
        text = sync(path, contract, problems)
        if text == path.read_text():
            continue
        role = path.parent.parent.name
        if args.check:
            problems.append(f"{role}: its stack_* options differ from the stack contract ({CONTRACT.relative_to(ROOT)}); run `make docs`")
        else:
            path.write_text(text)
            changed.append(role)
    for line in problems:
        print(line, file=sys.stderr)
    if changed:
        print("stack contract written into: " + ", ".join(changed))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
