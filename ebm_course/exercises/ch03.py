"""Checks for chapter 3 (latent-variable EBMs and free energy)."""

from __future__ import annotations

__all__: list[str] = []
