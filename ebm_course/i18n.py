"""Language of labels, widget captions and exercise messages: "ko" or "en"."""

from __future__ import annotations

LANGUAGES = ("ko", "en")
_current = {"lang": "en"}


def set_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES} (got {lang!r})")
    _current["lang"] = lang
    return lang


def get_language() -> str:
    return _current["lang"]


def t(*, ko: str, en: str, lang: str | None = None) -> str:
    """The text in the current language (or in ``lang``)."""
    lang = get_language() if lang is None else lang
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES} (got {lang!r})")
    return ko if lang == "ko" else en
