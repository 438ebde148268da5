"""Latent-variable energy-based models: E(x, y, z), F_inf = min_z E and the soft minimum F_beta."""
