"""Local Sphinx extension of the book.

* Language switch: every page under ``*/ko/`` gets a link to the same page under ``*/en/`` and
  back. The link is a ``doc`` cross-reference, so a missing counterpart is a build warning
  (an error under ``-W``).
* Korean pages carry ``lang="ko"`` on their <html> element (fonts, screen readers).
* Duplicate inline scripts are dropped (sphinx-thebe declares THEBE_JS_URL twice, which throws
  a console error on every page), and so is the ipywidgets state: the book loads no widget JS.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes

LANG_NAMES = {"ko": "한국어", "en": "English"}


def counterpart(docname: str) -> tuple[str, str] | None:
    parts = docname.split("/")
    for i, p in enumerate(parts[:-1]):
        if p in LANG_NAMES:
            other = "en" if p == "ko" else "ko"
            return "/".join(parts[:i] + [other] + parts[i + 1 :]), other
    return None


def page_language(docname: str) -> str | None:
    for p in docname.split("/")[:-1]:
        if p in LANG_NAMES:
            return p
    return None


def add_language_switch(app, doctree):
    docname = app.env.docname
    found = counterpart(docname)
    if found is None:
        return
    target, other = found
    xref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget="/" + target, refexplicit=True, refwarn=True
    )
    xref += nodes.inline("", LANG_NAMES[other], classes=["lang-switch-label"])
    para = nodes.paragraph("", "", classes=["lang-switch"])
    para += xref
    doctree.insert(0, para)


def set_page_language(app, pagename, templatename, context, doctree):
    lang = page_language(pagename)
    if lang:
        context["language"] = lang
        context["lang_attr"] = lang
    scripts = context.get("script_files")
    if scripts:
        scripts[:] = _clean_scripts(scripts)


def _clean_scripts(scripts):
    """Drop duplicate inline scripts and the ipywidgets state (no widget JS runs in the book)."""
    seen, kept = set(), []
    for s in scripts:
        attrs = dict(getattr(s, "attributes", {}) or {})
        if attrs.get("type") == "application/vnd.jupyter.widget-state+json":
            continue
        key = (str(getattr(s, "filename", s) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(s)
    return kept


def setup(app):
    app.connect("doctree-read", add_language_switch)
    app.connect("html-page-context", set_page_language, priority=900)  # after myst-nb adds its scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
