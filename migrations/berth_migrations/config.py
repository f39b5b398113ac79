"""copier.yml, read the way Copier reads it, and the answers file.

`load_copier_config` is the one loader of copier.yml: the migrations, the options manifest's
tests, the answer matrix, relock and the documentation's options page all read it.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import yaml

# The template checkout this package runs from (Copier's clone of a release, or ours).
TEMPLATE_ROOT = Path(__file__).resolve().parents[2]


def load_copier_config(template_root: Path = TEMPLATE_ROOT) -> dict[str, Any]:
    """copier.yml merged across its documents, with `!include` resolved like Copier does."""

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
        pass

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        pattern = str(template_root / loader.construct_scalar(node))
        for name in sorted(glob.glob(pattern)):
            for document in yaml.load_all(Path(name).read_text(), Loader=Loader):
                merged.update(document or {})
        return merged

    Loader.add_constructor("!include", include)
    merged: dict[str, Any] = {}
    for document in yaml.load_all((template_root / "copier.yml").read_text(), Loader=Loader):
        if isinstance(document, dict):
            merged.update(document)
    return merged


def questions(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The questions asked of users, in copier.yml order (settings and computed values left out)."""
    return {
        name: spec
        for name, spec in config.items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
    }


def question_choices(spec: dict[str, Any]) -> list[Any] | None:
    """A question's allowed values, or None when any value (or a computed list) goes."""
    choices = spec.get("choices")
    if not choices:
        return None
    values = list(choices.values()) if isinstance(choices, dict) else list(choices)
    if any(isinstance(v, str) and "{{" in v for v in values):
        return None
    return [v.get("value") if isinstance(v, dict) else v for v in values]


def read_answers(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) or {}


def write_answers(path: Path, answers: dict[str, Any]) -> None:
    header = "# Changes here will be overwritten by Copier; do not edit by hand.\n"
    path.write_text(header + yaml.safe_dump(answers, sort_keys=True, allow_unicode=True))


def migrate_answers(
    answers: dict[str, Any],
    renamed: dict[str, str] | None = None,
    mapped: dict[str, dict[Any, Any]] | None = None,
    dropped: list[str] | None = None,
) -> dict[str, Any]:
    """Rename questions, map changed choice values, drop removed questions (pure, idempotent)."""
    result = dict(answers)
    for old, new in (renamed or {}).items():
        if old in result:
            value = result.pop(old)
            result.setdefault(new, value)
    for name, mapping in (mapped or {}).items():
        if name in result:
            value = result[name]
            if isinstance(value, list):
                result[name] = [mapping.get(v, v) for v in value]
            else:
                result[name] = mapping.get(value, value)
    for name in dropped or []:
        result.pop(name, None)
    return result


def invalid_answers(
    answers: dict[str, Any], config: dict[str, Any], overrides: dict[str, Any] | None = None
) -> list[str]:
    """Recorded answers the template would silently replace by a default.

    `overrides` are the answers given on the command line (`--data`): they win, so a
    user can fix an answer that way.
    """
    problems = []
    for name, value in answers.items():
        if name.startswith("_") or name in (overrides or {}):
            continue
        spec = config.get(name)
        if not isinstance(spec, dict) and name not in config:
            problems.append(f"{name}: this template version has no such question")
            continue
        allowed = question_choices(spec) if isinstance(spec, dict) else None
        if allowed is None:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item not in allowed:
                problems.append(
                    f"{name}: {item!r} is no longer a choice "
                    f"(choices: {', '.join(map(repr, allowed))})"
                )
    return problems
