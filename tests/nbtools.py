"""Helpers the notebook tests share: reading pairs, masking code for the bilingual comparison."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"
MASKED = {tokenize.STRING, tokenize.COMMENT}
for _name in ("FSTRING_MIDDLE",):  # Python 3.12+ splits f-strings into several tokens
    if hasattr(tokenize, _name):
        MASKED.add(getattr(tokenize, _name))
SKIP = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}


def chapters() -> list[str]:
    names = {p.stem for lang in ("ko", "en") for p in (NB / lang).glob("*.ipynb")}
    return sorted(names)


def read(lang: str, slug: str):
    return nbformat.read(NB / lang / f"{slug}.ipynb", as_version=4)


def masked_tokens(source: str) -> list[tuple[int, str]]:
    """The token stream of a code cell with every string literal and comment replaced by a placeholder."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source + "\n").readline):
        if tok.type in SKIP:
            continue
        out.append((tok.type, "<masked>" if tok.type in MASKED else tok.string))
    return out


def headings(markdown: str) -> list[int]:
    """Heading levels of a markdown text, outside code fences."""
    levels, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(#{1,6})\s", line)):
            levels.append(len(m.group(1)))
    return levels


def display_math(markdown: str) -> list[str]:
    """Display equations, whitespace normalised, without the sentence's trailing punctuation."""
    blocks = re.findall(r"\$\$(.+?)\$\$", markdown, flags=re.S)
    return [re.sub(r"\s+", " ", m).strip().rstrip(",.;").rstrip() for m in blocks]
