"""MkDocs hook: render the options reference from copier.yml, so the page cannot drift.

A page containing the marker `<!-- options-table -->` gets it replaced by one section per
question: its type, default, choices and help text, read from copier.yml, and what each
value adds to a project, read from the options manifest (berth_tools.options).
"""

from __future__ import annotations

from typing import Any

from berth_migrations.config import load_copier_config, questions
from berth_tools import ROOT
from berth_tools.options import OPTIONS, TOGETHER, Adds

MARKER = "<!-- options-table -->"


def _code(value: Any) -> str:
    text = str(value).strip().replace("|", "\\|")
    return f"`{text}`" if text else "(empty)"


def _adds(label: str, entry: Adds) -> str:
    parts = []
    if entry.files:
        parts.append("adds " + ", ".join(_code(path) for path in entry.files))
    if entry.lock:
        parts.append(f"adds its dependencies to the lock (`{entry.lock}`)")
    if entry.absent:
        parts.append("leaves out any mention of " + ", ".join(_code(t) for t in entry.absent))
    return f"    - {label}: {'; '.join(parts)}" if parts else ""


def _label(spec: dict[str, Any], value: Any) -> str:
    """A choice as itself; the example the manifest gives for free text, as what it stands for."""
    if spec.get("choices") or spec.get("type") == "bool" or value == "":
        return _code(value)
    return "any other answer"


def options_markdown() -> str:
    sections = []
    for name, spec in questions(load_copier_config(ROOT)).items():
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
        values = OPTIONS.get(name, {})
        effects = [_adds(_label(spec, value), entry) for value, entry in values.items()]
        for condition, entry in TOGETHER:
            if name in condition:
                others = [f"`{other}` = {_code(value)}" for other, value in condition.items()]
                effects.append(_adds(" and ".join(others) + " together", entry))
        effects = [line for line in effects if line]
        if effects:
            lines += ["- What an answer changes (the other answers add nothing):", *effects]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, options_markdown())
    return markdown
