#!/usr/bin/env python3
"""Write the role variable reference (docs/reference/roles.md) from the roles' argument specs.

Reads every roles/*/meta/argument_specs.yml (every entry point) and writes one
section per role and entry point: option, type, default, required, description.
Ansible doc markup (C(x), O(x), V(x), M(x), RV(x), ...) is rendered as `x`.
The output is deterministic: the same specs always give the same bytes.

    python scripts/gen-role-docs.py                  # writes docs/reference/roles.md
    python scripts/gen-role-docs.py --output FILE    # writes FILE instead
    python scripts/gen-role-docs.py --check          # exit 1 when docs/reference/roles.md is stale

`make docs` runs the first form.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "reference" / "roles.md"

# C(x) O(x) V(x) M(x) RV(x) I(x) B(x) E(x) P(x) U(x): the text in code; L(text,url): the text.
_MARKUP = re.compile(r"\b(C|O|V|M|RV|I|B|E|P|U)\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_LINK = re.compile(r"\bL\(([^,()]*),\s*[^()]*\)")


def _code(text: str) -> str:
    text = text.strip()
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def render_markup(text: str) -> str:
    """Ansible doc markup to Markdown."""
    text = _LINK.sub(lambda m: m.group(1).strip(), text)

    def repl(match: re.Match[str]) -> str:
        kind, body = match.group(1), match.group(2)
        if kind in ("O", "RV") and body.startswith("ignore:"):
            body = body[len("ignore:"):]
        if kind in ("I", "B"):
            return body
        return _code(body)

    return _MARKUP.sub(repl, text)


def _cell(text: str) -> str:
    """One Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def describe(description) -> str:
    if description is None:
        return ""
    if isinstance(description, (list, tuple)):
        parts = [render_markup(str(item)) for item in description]
    else:
        parts = [render_markup(str(description))]
    return _cell(" ".join(part.strip() for part in parts if str(part).strip()))


def render_type(spec: dict) -> str:
    kind = spec.get("type", "str")
    if kind == "list" and spec.get("elements"):
        kind = f"list of {spec['elements']}"
    text = _code(kind)
    if spec.get("choices"):
        text += " (one of " + ", ".join(_code(_scalar(c)) for c in spec["choices"]) + ")"
    return _cell(text)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def render_default(spec: dict) -> str:
    if "default" not in spec or spec["default"] is None:
        return ""
    value = spec["default"]
    if isinstance(value, str) and value == "":
        return '`""`'
    return _cell(_code(" ".join(_scalar(value).split())))


def option_rows(options: dict, prefix: str = ""):
    for name, spec in options.items():
        spec = spec or {}
        yield (
            _code(prefix + name),
            render_type(spec),
            render_default(spec),
            "yes" if spec.get("required") else "",
            describe(spec.get("description")),
        )
        sub = spec.get("options") or spec.get("suboptions")
        if isinstance(sub, dict):
            yield from option_rows(sub, prefix + name + ".")


def _entry_order(names):
    return sorted(names, key=lambda n: (n != "main", n))


def render_role(role: str, specs: dict) -> list[str]:
    lines = [f"## {role}", ""]
    for entry in _entry_order(specs):
        spec = specs[entry] or {}
        lines.append(f"### {role} — `{entry}`")
        lines.append("")
        if entry == "main":
            lines.append(f"Used as `include_role: {{name: {role}}}` or in a play's `roles:`.")
        else:
            lines.append(f"Used as `include_role: {{name: {role}, tasks_from: {entry}}}`.")
        lines.append("")
        if spec.get("short_description"):
            lines.append(render_markup(" ".join(str(spec["short_description"]).split())))
            lines.append("")
        description = spec.get("description")
        if description:
            items = description if isinstance(description, list) else [description]
            for item in items:
                lines.append("- " + render_markup(" ".join(str(item).split())))
            lines.append("")
        options = spec.get("options") or {}
        if not options:
            lines.append("No options.")
            lines.append("")
            continue
        lines.append("| option | type | default | required | description |")
        lines.append("| --- | --- | --- | --- | --- |")
        for row in option_rows(options):
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return lines


def generate(root: Path = ROOT) -> str:
    spec_files = sorted((root / "roles").glob("*/meta/argument_specs.yml"))
    lines = [
        "# Role variable reference",
        "",
        "<!-- Generated by scripts/gen-role-docs.py from roles/*/meta/argument_specs.yml. -->",
        "<!-- Do not edit by hand: change the argument specs and run `make docs`. -->",
        "",
        "Every role validates its variables against these specs before it runs,",
        "so a missing or mistyped variable stops the play with its name. Shared",
        "stack variables carry the `stack_` prefix; role variables carry the role's",
        "name. Defaults shown as `<...>` are described, not literal.",
        "",
        "Roles: " + ", ".join(f"[{p.parent.parent.name}](#{p.parent.parent.name})" for p in spec_files),
        "",
    ]
    for path in spec_files:
        role = path.parent.parent.name
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        specs = data.get("argument_specs") or {}
        lines.extend(render_role(role, specs))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="file to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="compare with --output instead of writing; exit 1 on a difference")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date with roles/*/meta/argument_specs.yml: run `make docs`.", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
