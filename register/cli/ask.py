"""Asking the clerk: numbered menus, picking a record or a place by part of its name, yes/no,
groups of yes/no questions, and reading the record back before it is saved.

Every question is asked again until its answer passes (:func:`register.entry.check`), so a
refused answer never loses the others; Ctrl-C stops without saving anything (the command's
:func:`register.cli.app.handled` says so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import typer

from .. import entry
from ..db import Register
from ..i18n import digits, t
from ..validation import Problem
from .app import echo

Checker = Callable[[str], entry.Answer]


def prompt(label: str) -> str:
    return typer.prompt(label, default="", show_default=False).strip()


def refused(typed: str, problem: Problem) -> None:
    """Say why an answer was refused, naming what the clerk typed."""
    if not typed and problem.rule == "rule.required":
        echo(t("cli.answer_needed"), err=True)
        return
    echo(t("cli.answer_refused", value=typed, rule=problem.message()), err=True)


def _label(label: str, required: bool, hint: str = "") -> str:
    text = t("cli.prompt_hint", label=label, hint=hint) if hint else label
    return text if required else t("cli.prompt_optional", label=text)


def number_of(typed: str, count: int) -> int | None:
    """The menu number typed (Khmer digits too), or None."""
    from ..validation import KHMER_DIGITS

    text = typed.translate(KHMER_DIGITS).strip().rstrip(".")
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text)
    return None


def show_options(options: Sequence[entry.Option]) -> None:
    for n, option in enumerate(options, start=1):
        echo(t("cli.option", n=digits(n), label=option.label, detail=_detail(option)))


def ask_plain(label: str, required: bool, check: Checker, hint: str = "") -> entry.Answer:
    """Text, a date, a number: asked until it passes (Enter skips an optional question)."""
    while True:
        typed = prompt(_label(label, required, hint))
        answer = check(typed)
        if answer.problem is None:
            _note(answer)
            return answer
        refused(typed, answer.problem)


def ask_menu(label: str, options: Sequence[entry.Option], required: bool,
             check: Checker) -> entry.Answer:
    """A numbered menu: the number, or the code or label in either language."""
    echo(label)
    show_options(options)
    while True:
        typed = prompt(_label(t("cli.choose"), required))
        number = number_of(typed, len(options))
        answer = check(options[number - 1].value if number is not None else typed)
        if answer.problem is None:
            return answer
        if typed:
            echo(t("cli.not_a_number", value=typed, n=digits(len(options))), err=True)
        else:
            echo(t("cli.answer_needed"), err=True)


def ask_pick(label: str, required: bool, check: Checker,
             search: Callable[[str], list[entry.Option]], hint: str) -> entry.Answer:
    """A record or place picked by typing part of its name (or its code, or id): one match is
    taken, several are offered as a numbered list, none is said and asked again. Enter on a
    required question lists what there is to pick from (the commune's villages)."""
    while True:
        typed = prompt(_label(label, required, hint))
        if not typed and not required:
            return entry.Answer()
        exact = check(typed) if typed else None
        found = search(typed)
        if exact is not None and exact.problem is None and len(found) <= 1:
            _picked(next((o for o in found if o.value == exact.value), None))
            _note(exact)
            return exact
        if not found:
            if exact is not None and exact.problem is not None and exact.problem.rule not in \
                    NOT_FOUND_RULES:
                refused(typed, exact.problem)
            elif typed:
                echo(t("cli.nothing_matches", value=typed), err=True)
            else:
                refused(typed, Problem("", typed, "rule.required"))
            continue
        whole = [o for o in found if o.exact]
        if typed and (len(found) == 1 or len(whole) == 1):
            choice: entry.Option | None = whole[0] if whole else found[0]
        else:
            choice = _choose(found)
        if choice is None:
            continue
        answer = check(choice.value)
        if answer.problem is None:
            _picked(choice)
            _note(answer)
            return answer
        refused(choice.label, answer.problem)


NOT_FOUND_RULES = {"rule.no_agency", "rule.no_broker", "rule.no_journey", "rule.no_person",
                   "rule.no_record", "rule.village", "rule.country", "rule.countries"}


def _picked(option: entry.Option | None) -> None:
    if option is not None:
        echo(t("cli.picked", label=option.label, detail=_detail(option)))


def _detail(option: entry.Option) -> str:
    return t("cli.option_detail", detail=option.detail) if option.detail else ""


def _choose(found: Sequence[entry.Option]) -> entry.Option | None:
    show_options(found)
    while True:
        typed = prompt(t("cli.choose_or_search"))
        if not typed:
            return None  # search again
        number = number_of(typed, len(found))
        if number is not None:
            return found[number - 1]
        echo(t("cli.not_a_number", value=typed, n=digits(len(found))), err=True)


def _note(answer: entry.Answer) -> None:
    if answer.note:
        echo(t("cli.warning", message=answer.note), err=True)


def ask_group(question: entry.Question) -> dict[str, int | None]:
    """Several yes/no questions at once: the numbers of those that apply."""
    echo(question.label)
    fields = question.fields
    show_options([entry.Option(f.name, t(f.label_key)) for f in fields])
    while True:
        typed = prompt(t("cli.prompt_group"))
        if not typed:
            return entry.group_values(question, None)
        parts = typed.replace(",", " ").split()
        numbers = [number_of(p, len(fields)) for p in parts]
        if parts == ["0"] or parts == ["០"]:
            return entry.group_values(question, [])
        if all(numbers):
            return entry.group_values(question, [fields[n - 1].name for n in numbers if n])
        echo(t("cli.not_numbers", value=typed, n=digits(len(fields))), err=True)


def review(lines: Sequence[tuple[str, str]]) -> str | int:
    """Show the record in plain words; 'save', 'cancel', or the number of a line to change."""
    echo()
    echo(t("cli.review"))
    for n, (label, value) in enumerate(lines, start=1):
        echo(t("cli.review_line", n=digits(n), label=label, value=value))
    actions = [entry.Option("save", t("cli.action_save")),
               entry.Option("change", t("cli.action_change")),
               entry.Option("cancel", t("cli.action_cancel"))]
    echo()
    show_options(actions)
    while True:
        typed = prompt(t("cli.choose"))
        number = number_of(typed, len(actions))
        words = {o.label.casefold(): o.value for o in actions}
        action = actions[number - 1].value if number else words.get(typed.casefold())
        if action in ("save", "cancel"):
            return action
        if action == "change":
            while True:
                which = prompt(t("cli.which_line"))
                line = number_of(which, len(lines))
                if line is not None:
                    return line
                if not which:
                    break
                echo(t("cli.not_a_number", value=which, n=digits(len(lines))), err=True)
            show_options(actions)
            continue
        echo(t("cli.not_a_number", value=typed, n=digits(len(actions))), err=True)


def yes_no(label: str, check: Checker, required: bool) -> entry.Answer:
    return ask_plain(label, required, check, hint=t("cli.hint_yes_no"))


def ask_known_person(reg: Register, search: Callable[[str], list[entry.Option]]) -> str | None:
    """Is the person already registered? Their id, or None for a new person."""
    while True:
        typed = prompt(t("cli.ask_known_person"))
        if not typed:
            return None
        found = search(typed)
        if not found:
            echo(t("cli.no_person", value=typed), err=True)
            continue
        show_options(found)
        echo(t("cli.option", n=digits(0), label=t("cli.new_person"), detail=""))
        while True:
            which = prompt(t("cli.choose_or_search"))
            if not which:
                break
            if which in ("0", "០"):
                return None
            number = number_of(which, len(found))
            if number is not None:
                _picked(found[number - 1])
                return found[number - 1].value
            echo(t("cli.not_a_number", value=which, n=digits(len(found))), err=True)
