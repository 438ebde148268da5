"""Helpers the notebook tests share: reading pairs, masking code for the bilingual comparison."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"


def chapters() -> list[str]:
    names = {p.stem for lang in ("ko", "en") for p in (NB / lang).glob("*.ipynb")}
    return sorted(names)


def read(lang: str, slug: str):
    return nbformat.read(NB / lang / f"{slug}.ipynb", as_version=4)


class _MaskStrings(ast.NodeTransformer):
    """Replace every string constant by a placeholder; f-strings keep their expressions."""

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            return ast.copy_location(ast.Constant("<masked>"), node)
        return node

    def visit_JoinedStr(self, node):
        values = [self.visit(v) for v in node.values if isinstance(v, ast.FormattedValue)]
        return ast.copy_location(ast.JoinedStr(values), node)

    def visit_FormattedValue(self, node):
        node.value = self.visit(node.value)
        node.format_spec = None  # a format spec is text: "{x:.3f}" and "{x:.2f}" do the same logic
        return node


def masked_code(source: str) -> str:
    """The code's syntax tree with string literals masked (comments are not in it): two cells that
    differ only in their strings and comments give the same text; any other difference shows."""
    return ast.dump(_MaskStrings().visit(ast.parse(source)), annotate_fields=False)


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
