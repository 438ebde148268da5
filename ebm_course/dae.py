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

import math

import torch

from . import _check
from .runtime import progress_bar

__all__ = ["corrupt", "DAE", "draw_diagram"]


def _sigma(sigma, name: str = "sigma") -> float:
    if isinstance(sigma, torch.Tensor):
        if sigma.numel() != 1:
            raise TypeError(f"{name} must be a single number (got a tensor of shape {tuple(sigma.shape)})")
        sigma = sigma.item()
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)):
        raise TypeError(f"{name} must be a real number (got {type(sigma).__name__})")
    sigma = float(sigma)
    if not math.isfinite(sigma) or sigma < 0:
        raise ValueError(f"{name} must be >= 0 and finite (got {sigma})")
    return sigma


def _drop(p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"p must be a real number (got {type(p).__name__})")
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1) (got {p})")
    return p


def _points(y, name: str = "y", d: int | None = None) -> torch.Tensor:
    y = _check.finite_tensor(y, name, ndim=2)
    if not y.is_floating_point():
        raise TypeError(f"{name} must hold real numbers (got dtype {y.dtype})")
    if y.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column (got shape {tuple(y.shape)})")
    if d is not None and y.shape[1] != d:
        raise ValueError(f"{name} must have shape (n, {d}) (got {tuple(y.shape)})")
    return y


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
    y = _points(y)
    sigma = _sigma(sigma)
    p = _drop(p)
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
        y = _points(y, d=self.d).to(dtype=w.dtype, device=w.device)
        return self(y)

    def energy(self, y) -> torch.Tensor:
        """E(y) = ||y - dec(enc(y))||^2, shape (n,)."""
        w = self._param()
        y = _points(y, d=self.d).to(dtype=w.dtype, device=w.device)
        return (y - self(y)).square().sum(dim=1)

    def fit(self, y, sigma, p=0.0, steps=500, lr=1e-2, batch_size=256, seed=0, progress=True) -> list[float]:
        """Train on clean samples y (n, d): each step draws a batch, corrupts it with
        ``corrupt(y, sigma, p)`` (fresh noise every step), and takes one Adam step on

            mean over the batch of ||y - dec(enc(y_tilde))||^2.

        The learning rate decays from ``lr`` to 0 along a cosine, which lets the last steps settle
        (a sharper valley of energy than a constant rate gives). Returns the loss of every step.
        """
        w = self._param()
        y = _points(y, d=self.d).to(dtype=w.dtype, device=w.device)
        sigma = _sigma(sigma)
        p = _drop(p)
        if sigma == 0 and p == 0:
            raise ValueError("sigma and p are both 0: without corruption the DAE only learns the identity")
        steps = _check.positive_int(steps, "steps")
        lr = _check.positive_number(lr, "lr")
        batch_size = _check.positive_int(batch_size, "batch_size")
        g = _generator(seed, y.device)
        n = y.shape[0]
        opt = torch.optim.Adam(self.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        losses = []
        for step in progress_bar(range(steps), desc="DAE", enabled=progress):
            batch = y if batch_size >= n else y[torch.randint(n, (batch_size,), generator=g, device=y.device)]
            y_tilde = corrupt(batch, sigma, p, generator=g)
            loss = (self(y_tilde) - batch).square().sum(dim=1).mean()
            if not torch.isfinite(loss):
                raise ValueError(
                    f"training diverged at step {step} (loss {loss.item()}); lower lr (got {lr}) or rescale y"
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            losses.append(loss.item())
        return losses


def draw_diagram(ax, training=True, labels=None):
    """Draw the DAE in the course's block-diagram language on ``ax``.

    Variables are circles (observed grey; the corrupted y_tilde edged in its colour), deterministic
    functions round-topped boxes, the cost a red square.
    training=True  (Fig. 8): y -> corrupt -> y_tilde -> enc -> dec -> y_bar; cost C(y, y_bar) against the clean y.
    training=False (Fig. 9): y -> enc -> dec -> y_hat; energy E(y) = ||y - y_hat||^2.
    ``labels`` may rename the boxes: {"corrupt": ..., "enc": ..., "dec": ..., "cost": ...}.
    """
    from .diagram import Diagram
    from .plot import COLORS

    d = Diagram(ax, xlim=(0, 13.2), ylim=(0.2, 4.4))
    if labels is not None and not isinstance(labels, dict):
        raise TypeError(f"labels must be a dict or None (got {type(labels).__name__})")
    text = {
        "corrupt": "corrupt",
        "enc": "Enc",
        "dec": "Dec",
        "cost": r"$C(y, \bar{y})$" if training else r"$E(y) = \|y - \hat{y}\|^2$",
    }
    unknown = sorted(set(labels or {}) - set(text))
    if unknown:
        raise ValueError(f"labels may only rename {sorted(text)} (got unknown keys {unknown})")
    text.update(labels or {})

    def arrow(a, b, label=None):  # along the row y = 1.3
        d.arrow((a, 1.3), (b, 1.3))
        if label:
            ax.text((a + b) / 2, 1.42, label, ha="center", va="bottom", fontsize=13)

    d.variable((0.8, 1.3), "y", lw=1.8)
    if training:
        d.function((2.9, 1.3), text["corrupt"], w=1.7)
        arrow(1.25, 2.05)
        d.variable((5.0, 1.3), "ỹ", edge=COLORS["y_tilde"], lw=1.8)
        arrow(3.75, 4.55)
        x_enc, out = 7.0, "ȳ"
        arrow(5.45, x_enc - 0.85)
    else:
        x_enc, out = 3.4, "ŷ"
        arrow(1.25, x_enc - 0.85)
    x_dec = x_enc + 2.3
    d.function((x_enc, 1.3), text["enc"], w=1.7)
    d.function((x_dec, 1.3), text["dec"], w=1.7)
    arrow(x_enc + 0.85, x_dec - 0.85)
    x_cost = x_dec + 2.3
    arrow(x_dec + 0.85, x_cost - 0.45, out)
    d.cost((x_cost, 1.3), text["cost"], side="right")
    # the clean y also goes to the cost
    ax.plot([0.8, 0.8, x_cost, x_cost], [1.75, 3.3, 3.3, 2.6], color="#333", lw=1.2)
    d.arrow((x_cost, 2.6), (x_cost, 1.75))
    return ax
