"""The denoising autoencoder (DAE): corruption, reconstruction, and the energy ||y - dec(enc(y))||^2.

Training (the lecture's Fig. 8): take a clean y, corrupt it into y_tilde, and train the encoder and
decoder so that y_bar = dec(enc(y_tilde)) is close to the *clean* y:

    loss = mean over the batch of ||y - dec(enc(y_tilde))||^2.

Use (Fig. 9): the trained DAE gives every point an energy, its reconstruction error

    E(y) = ||y - dec(enc(y))||^2,

low on the data manifold and growing with the distance from it. The corrupted points are the
contrastive points: the loss pushes their reconstruction back to the data, so their energy goes up.
"""

from __future__ import annotations

import torch

from . import _check
from .train import adam

__all__ = ["corrupt", "DAE"]


def _generator(seed, device) -> torch.Generator | None:
    if seed is None:
        return None
    return torch.Generator(device=device).manual_seed(_check.seed(seed))


def corrupt(y, sigma, p=0.0, seed=None, generator=None) -> torch.Tensor:
    """y_tilde = m * y + sigma * eps, with eps ~ N(0, I) and m_ij ~ Bernoulli(1 - p).

    ``sigma`` >= 0 is the standard deviation of the Gaussian noise; ``p`` in [0, 1) the probability
    that an entry is masked (set to 0). The mask is a plain 0/1 mask: kept entries keep their value
    (unlike dropout, which would divide them by 1 - p). ``y`` has shape (n, d); the result has the
    same shape, dtype and device. ``seed`` (or a ``torch.Generator``) makes it reproducible.
    """
    y = _check.points(y)
    sigma = _check.real_number(sigma, "sigma", minimum=0.0)
    p = _check.real_number(p, "p", minimum=0.0, below=1.0)
    if generator is None:
        generator = _generator(seed, y.device)
    elif not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator (got {type(generator).__name__})")
    y_tilde = y
    if p > 0:
        keep = torch.rand(y.shape, generator=generator, dtype=y.dtype, device=y.device) >= p
        y_tilde = y_tilde * keep
    if sigma > 0:
        y_tilde = y_tilde + sigma * torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)
    return y_tilde.clone() if y_tilde is y else y_tilde


class DAE(torch.nn.Module):
    """A small denoising autoencoder for points y of dimension d.

    enc: Linear(d, hidden) -> tanh -> Linear(hidden, code) -> tanh
    dec: Linear(code, hidden) -> tanh -> Linear(hidden, d)
    y_bar = dec(enc(y)),   E(y) = ||y - y_bar||^2.

    The weights are initialised from ``seed`` without touching the global generator; their dtype
    is torch's default dtype at construction.
    """

    def __init__(self, d, hidden=64, code=None, seed=0):
        super().__init__()
        d = _check.positive_int(d, "d")
        hidden = _check.positive_int(hidden, "hidden")
        code = hidden if code is None else _check.positive_int(code, "code")
        seed = _check.seed(seed)
        self.d = d
        self.history: list[float] = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.encoder = torch.nn.Sequential(
                torch.nn.Linear(d, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, code), torch.nn.Tanh()
            )
            self.decoder = torch.nn.Sequential(
                torch.nn.Linear(code, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, d)
            )

    def _param(self) -> torch.Tensor:
        return next(self.parameters())

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """y_bar = dec(enc(y)) for y of shape (n, d)."""
        return self.decoder(self.encoder(y))

    def reconstruct(self, y) -> torch.Tensor:
        """y_bar = dec(enc(y)), shape (n, d); y is checked and moved to the model's dtype and device."""
        w = self._param()
        y = _check.points(y, d=self.d).to(dtype=w.dtype, device=w.device)
        return self(y)

    def energy(self, y) -> torch.Tensor:
        """E(y) = ||y - dec(enc(y))||^2, shape (n,)."""
        w = self._param()
        y = _check.points(y, d=self.d).to(dtype=w.dtype, device=w.device)
        return (y - self(y)).square().sum(dim=1)

    def fit(self, y, sigma, p=0.0, steps=500, lr=1e-2, batch_size=256, seed=0, progress=True):
        """Train on clean samples y (n, d): each step draws a batch, corrupts it with
        ``corrupt(y, sigma, p)`` (fresh noise every step), and takes one Adam step on

            mean over the batch of ||y - dec(enc(y_tilde))||^2.

        The learning rate decays from ``lr`` to 0 along a cosine, which lets the last steps settle
        (a sharper valley of energy than a constant rate gives). Trained by ``ebm_course.train.adam``,
        which stops with an error if training diverges. Returns ``self``; ``history`` keeps the loss
        before each step, a list of ``steps`` floats.
        """
        w = self._param()
        y = _check.points(y, d=self.d).to(dtype=w.dtype, device=w.device)
        sigma = _check.real_number(sigma, "sigma", minimum=0.0)
        p = _check.real_number(p, "p", minimum=0.0, below=1.0)
        if sigma == 0 and p == 0:
            raise ValueError("sigma and p are both 0: without corruption the DAE only learns the identity")
        steps = _check.positive_int(steps, "steps")
        lr = _check.positive_number(lr, "lr")
        batch_size = _check.positive_int(batch_size, "batch_size")
        g = _generator(seed, y.device)
        n = y.shape[0]

        def loss(step):
            batch = y if batch_size >= n else y[torch.randint(n, (batch_size,), generator=g, device=y.device)]
            y_tilde = corrupt(batch, sigma, p, generator=g)
            return (self(y_tilde) - batch).square().sum(dim=1).mean()

        self.history = adam(list(self.parameters()), loss, steps, lr, cosine=True, progress=progress, desc="DAE")
        return self
