"""ebm_course: the code behind the companion book to "SSL, EBM with details and examples".

import ebm_course as ec
device = ec.setup(lang="en", seed=0)
P = ec.gibbs(E, beta=2.0)
"""

from . import (
    contrastive,
    dae,
    data,
    diagram,
    energy,
    exercises,
    i18n,
    kmeans,
    latent,
    masked,
    models,
    note_formulas,
    plot,
    samplers,
    ssl,
    topography,
    train,
    widgets,
)
from .contrastive import cd_negatives
from .energy import fit_max_likelihood, free_energy, gibbs, nll, nll_grad_terms
from .kmeans import KMeansEBM
from .runtime import get_device, in_colab, progress_bar, seed_everything, setup
from .samplers import hmc, langevin
from .widgets import Explorer

__version__ = "0.1.0"

__all__ = [
    "dae",
    "data",
    "diagram",
    "energy",
    "exercises",
    "i18n",
    "kmeans",
    "latent",
    "masked",
    "models",
    "note_formulas",
    "plot",
    "topography",
    "train",
    "widgets",
    "samplers",
    "ssl",
    "contrastive",
    "gibbs",
    "free_energy",
    "nll",
    "nll_grad_terms",
    "fit_max_likelihood",
    "setup",
    "seed_everything",
    "get_device",
    "in_colab",
    "progress_bar",
    "Explorer",
    "KMeansEBM",
    "langevin",
    "hmc",
    "cd_negatives",
]
