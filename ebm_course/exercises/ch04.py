"""Checks for chapter 4 (K-means as an energy-based model)."""

from __future__ import annotations

__all__: list[str] = []
