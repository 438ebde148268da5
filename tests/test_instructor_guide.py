"""The instructor guide covers every chapter: learning goals, prerequisites, an estimated time, and
each exercise of the chapter with its difficulty, the same in both languages."""

from __future__ import annotations

import re

import pytest
from nbtools import ROOT, chapters, read

WORDS = {
    "en": {
        "section": r"^### Chapter (\d+): ",
        "goals": "**Learning goals.**",
        "needs": "**Prerequisites.**",
        "time": r"\*\*Time\.\*\* About (\d+) minutes: (\d+) for the \w+ sections?, (\d+) for the exercises\.",
        "difficulty": {"easy": "easy", "medium": "medium", "hard": "hard"},
    },
    "ko": {
        "section": r"^### (\d+)장: ",
        "goals": "**학습 목표.**",
        "needs": "**선수 지식.**",
        "time": r"\*\*시간\.\*\* (\d+)분쯤\. \S+ 절에 (\d+)분, 연습 문제에 (\d+)분\.",
        "difficulty": {"쉬움": "easy", "보통": "medium", "어려움": "hard"},
    },
}


def sections(lang: str) -> dict[int, str]:
    """Chapter number -> its section of book/<lang>/instructors.md."""
    text = (ROOT / "book" / lang / "instructors.md").read_text(encoding="utf-8")
    found, current = {}, None
    for line in text.splitlines():
        if line.startswith("#"):
            m = re.match(WORDS[lang]["section"], line)
            current = int(m.group(1)) if m else None
            if current is not None:
                found[current] = ""
        elif current is not None:
            found[current] += line + "\n"
    return found


def exercise_rows(lang: str, section: str) -> dict[str, str]:
    """check -> difficulty (in English) for each row of a chapter's table."""
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        checks = [m for c in cells for m in re.findall(r"^`(check_\w+)`$", c)]
        if checks:
            levels = [WORDS[lang]["difficulty"][c] for c in cells if c in WORDS[lang]["difficulty"]]
            assert len(levels) == 1, f"{lang}: the row of {checks[0]} needs one difficulty: {line}"
            rows[checks[0]] = levels[0]
    return rows


def called_checks(lang: str, slug: str) -> list[str]:
    return [
        m
        for c in read(lang, slug).cells
        if c.cell_type == "code"
        for m in re.findall(r"ec\.exercises\.(check_\w+)\(", c.source)
    ]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", chapters())
def test_every_chapter_has_goals_prerequisites_time_and_its_exercises(slug, lang):
    number = int(slug.split("_")[0])
    found = sections(lang)
    assert number in found, f"book/{lang}/instructors.md has no section for chapter {number} ({slug})"
    section = found[number]
    assert WORDS[lang]["goals"] in section and WORDS[lang]["needs"] in section
    m = re.search(WORDS[lang]["time"], section)
    assert m, f"{lang}: chapter {number} gives no time in the guide's form"
    total, reading, exercises = (int(x) for x in m.groups())
    assert total == reading + exercises and 30 <= total <= 150
    rows = exercise_rows(lang, section)
    assert list(rows) == called_checks(lang, slug), f"{lang}: chapter {number}'s table and its notebook's checks differ"


@pytest.mark.parametrize("slug", chapters())
def test_both_languages_give_the_same_times_and_difficulties(slug):
    number = int(slug.split("_")[0])
    ko, en = sections("ko")[number], sections("en")[number]
    assert exercise_rows("ko", ko) == exercise_rows("en", en)
    assert re.search(WORDS["ko"]["time"], ko).groups() == re.search(WORDS["en"]["time"], en).groups()


def test_the_guide_has_no_section_for_a_chapter_that_does_not_exist():
    numbers = {int(s.split("_")[0]) for s in chapters()}
    for lang in ("ko", "en"):
        assert set(sections(lang)) <= numbers, f"book/{lang}/instructors.md: {sorted(set(sections(lang)) - numbers)}"
