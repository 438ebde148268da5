"""Checks for chapter 5 (contrastive methods and the denoising autoencoder)."""

from __future__ import annotations

__all__: list[str] = []
