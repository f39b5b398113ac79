"""The options manifest (berth_tools.options) says what copier.yml and the template do.

Static checks over every combination of the manifest's values (no Copier run): the values
are copier.yml's, the files each value adds are the template's conditional files, the
lock variant copier.yml computes is the manifest's, and every variant has its lock. The
render tests then check the same on real renders of the answer matrix.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
import pytest

from berth_migrations.config import load_copier_config, question_choices, questions
from berth_tools import ROOT, options, relock
from berth_tools.matrix import choices, valid_combinations

CONFIG = load_copier_config(ROOT)
ASKED = questions(CONFIG)
EVERY_COMBINATION = valid_combinations(choices())
PACKAGE = "demo_project"


def copier_context(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers plus the defaults of what they leave out, as Copier renders them."""
    context: dict[str, Any] = {"package_name": PACKAGE}
    context["_copier_conf"] = {"answers_file": ".copier-answers.yml"}
    for name in options.OPTIONS:
        context[name] = answers.get(name, ASKED[name].get("default"))
    return context


@cache
def compiled(part: str) -> jinja2.Template:
    return jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(part)


def rendered_paths(answers: dict[str, Any]) -> set[str]:
    """The files Copier writes for these answers: the suffix goes, then each part of the
    path is rendered, and a path with an empty part is skipped."""
    context = copier_context(answers)
    found = set()
    for path in options.template_paths():
        parts = [compiled(part).render(context) for part in path.removesuffix(".jinja").split("/")]
        if all(parts):
            found.add("/".join(parts))
    return found


def test_every_choice_and_yes_no_question_is_in_the_manifest_with_its_values():
    for name, spec in ASKED.items():
        if spec.get("type") == "bool":
            assert set(options.OPTIONS.get(name, {})) == {True, False}, name
        elif question_choices(spec) is not None:
            assert list(options.OPTIONS.get(name, {})) == question_choices(spec), name
    for name, values in options.OPTIONS.items():
        assert name in ASKED, f"{name}: not a question of copier.yml"
        if "choices" not in ASKED[name] and ASKED[name].get("type") != "bool":
            assert "" in values, f"{name}: free text lists its empty answer and one example"


def test_manifest_files_are_exactly_the_conditional_files_of_every_combination():
    assert len(EVERY_COMBINATION) > 1
    unconditional = options.unconditional_files(PACKAGE)
    for answers in EVERY_COMBINATION:
        added = options.conditional_files(answers, PACKAGE)
        assert not added & unconditional, f"listed, yet in every project: {added & unconditional}"
        assert rendered_paths(answers) == options.expected_files(answers, PACKAGE), answers


def test_every_conditional_template_file_is_declared():
    declared = options.declared_files()
    conditional = set().union(*(rendered_paths(a) for a in EVERY_COMBINATION)) - (
        options.unconditional_files(PACKAGE)
    )
    assert conditional == {path.format(package_name=PACKAGE) for path in declared}


@pytest.mark.parametrize("answers", EVERY_COMBINATION, ids=lambda a: "-".join(map(str, a.values())))
def test_copier_computes_the_lock_variant_the_manifest_declares(answers):
    expression = CONFIG["lock_variant"]["default"]
    computed = jinja2.Environment().from_string(expression).render(copier_context(answers))
    assert computed.strip() == options.lock_variant(answers)


def test_every_lock_variant_has_its_lock_and_every_lock_a_variant():
    variants = options.lock_variants()
    assert set(variants) == {path.stem for path in relock.LOCKS.glob("*.lock")}
    for variant, answers in variants.items():
        assert options.lock_variant(answers) == variant
    assert set(variants) == {options.lock_variant(a) for a in EVERY_COMBINATION}
