"""MkDocs hook: render the options reference from copier.yml, so the page cannot drift.

A page containing the marker `<!-- options-table -->` gets it replaced by one section per
question: its type, default, choices and help text, read from copier.yml.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

MARKER = "<!-- options-table -->"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "migrations"))
from _helpers import load_copier_config  # noqa: E402


def _load_questions() -> dict[str, dict[str, Any]]:
    merged = load_copier_config(ROOT)  # the loader the migrations and the tests use
    return {
        name: spec
        for name, spec in merged.items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
    }


def _code(value: Any) -> str:
    text = str(value).strip().replace("|", "\\|")
    return f"`{text}`" if text else "(empty)"


def options_markdown() -> str:
    sections = []
    for name, spec in _load_questions().items():
        lines = [f"### `{name}`", "", " ".join(str(spec.get("help", "")).split()), ""]
        lines.append(f"- Type: `{spec.get('type', 'str')}`")
        choices = spec.get("choices")
        if isinstance(choices, dict):
            listed = ", ".join(f"{_code(v)} ({k})" for k, v in choices.items())
            lines.append(f"- Choices: {listed}")
        elif choices:
            lines.append(f"- Choices: {', '.join(_code(v) for v in choices)}")
        if "default" in spec:
            lines.append(f"- Default: {_code(spec['default'])}")
        if "when" in spec:
            lines.append(f"- Asked when: {_code(spec['when'])}")
        if spec.get("validator"):
            lines.append(
                "- Validated: yes, an invalid answer is refused with a message saying what is allowed."
            )
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, options_markdown())
    return markdown
