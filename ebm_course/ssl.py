"""Self-supervised learning: pretext tasks, and what a model makes of a future that can go two ways.

A pretext task hides part of the data and trains a model to predict it from the rest. With the
hidden entries marked by a 0/1 mask m (1 = hidden), the model sees

    x = [ y * (1 - m),  m ]                         (the visible entries, and where the hole is)

and is trained with squared error on the hidden entries only:

    loss = mean_i  sum_j m_ij (y_ij - y_bar_ij)^2,   y_bar = f(x).

Least squares: the minimiser of E[ ||y - y_bar||^2 | x ] over y_bar is the conditional mean E[y | x].
When the future can go several ways, that mean is a blend of them: a blurred frame that is none of them.

A softmax over K discrete outcomes, trained with cross-entropy -log q_k(x), is minimised in expectation
by q(x) = P(k | x): it can put probability 1/2 on each of two outcomes and so represent the uncertainty.

A latent variable z with K values gives K predictions Dec(x, z). Trained on the zero-temperature free
energy of chapter 3,

    E(x, y, z) = ||y - Dec(x, z)||^2,    F_inf(x, y) = min_z E(x, y, z),    loss = mean_i F_inf(x_i, y_i),

each z is free to specialise on one of the futures, and each prediction stays sharp.
"""

from __future__ import annotations

import torch

from . import _check, energy
from .runtime import progress_bar

__all__ = [
    "visible_input",
    "conditional_mean",
    "Regressor",
    "Classifier",
    "LatentRegressor",
    "linear_probe",
    "draw_pretext_tasks",
]


def _data(y, name, d=None, n=None) -> torch.Tensor:
    y = _check.finite_tensor(y, name, ndim=2)
    if not y.is_floating_point():
        raise TypeError(f"{name} must hold real numbers (got dtype {y.dtype})")
    if d is not None and y.shape[1] != d:
        raise ValueError(f"{name} must have shape (n, {d}) (got {tuple(y.shape)})")
    if n is not None and y.shape[0] != n:
        raise ValueError(f"{name} must have {n} rows, one per row of x (got shape {tuple(y.shape)})")
    return y


def _mask(mask, shape, name="mask") -> torch.Tensor:
    """A 0/1 mask of shape (d,) or (n, d), broadcast to ``shape``, as floats."""
    if not isinstance(mask, torch.Tensor):
        mask = _check.as_tensor(mask, name)
    if mask.ndim not in (1, 2) or mask.shape[-1] != shape[1] or (mask.ndim == 2 and mask.shape[0] != shape[0]):
        raise ValueError(f"{name} must have shape ({shape[1]},) or {tuple(shape)} (got {tuple(mask.shape)})")
    m = mask.to(torch.float64)
    if torch.isnan(m).any() or not ((m == 0) | (m == 1)).all():
        raise ValueError(f"{name} must hold only 0/1 or True/False")
    return m.expand(shape)


def visible_input(y, hidden) -> torch.Tensor:
    """The input of a pretext task: x = [y * (1 - m), m], shape (n, 2d).

    ``y`` (n, d) the data, ``hidden`` a 0/1 (or bool) mask of shape (d,) (the same hole for every row) or
    (n, d) (a hole per row): 1 marks an entry to predict. The hidden entries are set to 0, and the mask
    itself is appended, so that the model knows where the hole is (a 0 pixel and a hidden one differ).
    """
    y = _data(y, "y")
    m = _mask(hidden, y.shape, "hidden").to(y.dtype)
    return torch.cat([y * (1 - m), m], dim=1)


def conditional_mean(x, y) -> torch.Tensor:
    """The empirical conditional mean: row i of the result is the mean of y over the rows whose x equals x_i.

    ``x`` (n, d_x) and ``y`` (n, d) ; returns (n, d). It is the prediction that minimises the squared error
    sum_i ||y_i - y_bar(x_i)||^2 over every function y_bar of x, the target of least squares.
    """
    x = _data(x, "x")
    y = _data(y, "y", n=x.shape[0])
    _, group = torch.unique(x, dim=0, return_inverse=True)
    k = int(group.max()) + 1
    sums = torch.zeros(k, y.shape[1], dtype=y.dtype).index_add_(0, group, y)
    counts = torch.bincount(group, minlength=k).to(y.dtype)
    return (sums / counts[:, None])[group]


def _fit_options(steps, lr, seed, batch_size):
    steps = _check.positive_int(steps, "steps")
    lr = _check.positive_number(lr, "lr")
    seed = _check.seed(seed)
    if batch_size is not None:
        batch_size = _check.positive_int(batch_size, "batch_size")
    return steps, lr, seed, batch_size


class _MLP(torch.nn.Module):
    """f(x) = W2 tanh(W1 x + b1) + b2, the weights drawn from ``seed`` (float64)."""

    def __init__(self, d_in, d_out, hidden, seed):
        super().__init__()
        self.d_in = _check.positive_int(d_in, "d_in")
        self.d_out = _check.positive_int(d_out, "d_out")
        self.hidden = _check.positive_int(hidden, "hidden")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_check.seed(seed))
            self.encoder = torch.nn.Sequential(torch.nn.Linear(self.d_in, self.hidden), torch.nn.Tanh())
            self.head = torch.nn.Linear(self.hidden, self.d_out)
        self.double()
        self.history: list[float] = []

    def forward(self, x):
        return self.head(self.encoder(x))

    def features(self, x) -> torch.Tensor:
        """The representation h = tanh(W1 x + b1), shape (n, hidden): what a downstream task reuses."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        with torch.no_grad():
            return self.encoder(x)

    def _train(self, loss_fn, n, steps, lr, seed, batch_size, progress, desc):
        """Adam on loss_fn(batch indices); the rate decays to 0 along a cosine; one history entry per step."""
        g = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(self.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        self.history = []
        for step in progress_bar(range(steps), desc=desc, enabled=progress):
            idx = None if batch_size is None or batch_size >= n else torch.randint(n, (batch_size,), generator=g)
            loss = loss_fn(idx)
            if not torch.isfinite(loss):
                raise ValueError(f"training diverged at step {step} (loss {loss.item()}); lower lr (got {lr})")
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            self.history.append(loss.item())
        return self


class Regressor(_MLP):
    """A one-hidden-layer network y_bar = f(x) trained by least squares.

    ``fit(x, y, weight=None)`` minimises  mean_i sum_j w_ij (y_ij - y_bar_ij)^2  (w = 1 everywhere when
    ``weight`` is None; a pretext task passes its hidden mask, so that only the hidden entries count).
    The minimiser over all functions of x is the conditional mean E[y | x].
    """

    def __init__(self, d_in, d_out, hidden=64, seed=0):
        super().__init__(d_in, d_out, hidden, seed)

    def predict(self, x) -> torch.Tensor:
        """y_bar = f(x), shape (n, d_out)."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        with torch.no_grad():
            return self(x)

    def fit(self, x, y, weight=None, steps=500, lr=1e-2, batch_size=None, seed=0, progress=True):
        """Train by least squares (Adam, full batch unless ``batch_size``); keeps ``history``; returns self."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        y = _data(y, "y", d=self.d_out, n=x.shape[0]).to(torch.float64)
        w = torch.ones_like(y) if weight is None else _mask(weight, y.shape, "weight")
        steps, lr, seed, batch_size = _fit_options(steps, lr, seed, batch_size)

        def loss(idx):
            xb, yb, wb = (x, y, w) if idx is None else (x[idx], y[idx], w[idx])
            return (wb * (self(xb) - yb) ** 2).sum(dim=1).mean()

        return self._train(loss, x.shape[0], steps, lr, seed, batch_size, progress, "least squares")


class Classifier(_MLP):
    """A network with a softmax over ``k`` outcomes: q(k | x) = softmax(f(x))_k.

    ``fit(x, labels)`` minimises the cross-entropy  mean_i -log q(labels_i | x_i),  whose minimiser is
    the true conditional distribution P(k | x): a softmax can spread its bet over several outcomes.
    """

    def __init__(self, d_in, k, hidden=64, seed=0):
        k = _check.positive_int(k, "k", minimum=2)
        super().__init__(d_in, k, hidden, seed)
        self.k = k

    def _labels(self, labels, n):
        if not isinstance(labels, torch.Tensor):
            labels = _check.as_tensor(labels, "labels")
        if labels.is_floating_point():
            if not torch.equal(labels, labels.round()):
                raise TypeError("labels must be integers (got non-integer floats)")
            labels = labels.long()
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), one per row of x (got {tuple(labels.shape)})")
        if (labels < 0).any() or (labels >= self.k).any():
            raise ValueError(f"labels must lie in [0, {self.k - 1}]")
        return labels.long()

    def proba(self, x) -> torch.Tensor:
        """q(. | x) = softmax(f(x)), shape (n, k); each row sums to 1."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        with torch.no_grad():
            return torch.softmax(self(x), dim=1)

    def fit(self, x, labels, steps=500, lr=1e-2, batch_size=None, seed=0, progress=True):
        """Train by cross-entropy (Adam); keeps ``history``; returns self."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        labels = self._labels(labels, x.shape[0])
        steps, lr, seed, batch_size = _fit_options(steps, lr, seed, batch_size)

        def loss(idx):
            xb, lb = (x, labels) if idx is None else (x[idx], labels[idx])
            return torch.nn.functional.cross_entropy(self(xb), lb)

        return self._train(loss, x.shape[0], steps, lr, seed, batch_size, progress, "cross-entropy")


class LatentRegressor(_MLP):
    """A decoder with a latent z taking ``k`` values: one prediction Dec(x, z) per z.

        E(x, y, z) = ||y - Dec(x, z)||^2,   F_inf(x, y) = min_z E(x, y, z)   (chapter 3)

    ``fit(x, y)`` minimises mean_i F_inf(x_i, y_i): for each sample only the best z is moved towards it,
    so each z can specialise on one of the possible futures. Dec(x, z) is head z of one network.
    """

    def __init__(self, d_in, d_out, k=2, hidden=64, seed=0):
        k = _check.positive_int(k, "k")
        d_out = _check.positive_int(d_out, "d_out")
        super().__init__(d_in, k * d_out, hidden, seed)
        self.k, self.d_y = k, d_out

    def _decode(self, x):
        return self(x).reshape(x.shape[0], self.k, self.d_y)

    def predict(self, x) -> torch.Tensor:
        """Dec(x, z) for every z: shape (n, k, d_out)."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        with torch.no_grad():
            return self._decode(x)

    def energy(self, x, y) -> torch.Tensor:
        """E(x, y, z) = ||y - Dec(x, z)||^2 for every z: shape (n, k)."""
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        y = _data(y, "y", d=self.d_y, n=x.shape[0]).to(torch.float64)
        with torch.no_grad():
            return (y[:, None, :] - self._decode(x)).square().sum(dim=2)

    def free_energy(self, x, y) -> torch.Tensor:
        """F_inf(x, y) = min_z E(x, y, z), shape (n,)."""
        return energy.free_energy(self.energy(x, y))

    def infer(self, x, y) -> torch.Tensor:
        """z_check = argmin_z E(x, y, z), a LongTensor (n,)."""
        return self.energy(x, y).argmin(dim=1)

    def fit(self, x, y, steps=300, lr=2e-2, anneal=True, beta0=0.5, batch_size=None, seed=0, progress=True):
        """Minimise mean_i F(x_i, y_i) (Adam); keeps ``history`` (mean F_inf at each step); returns self.

        With ``anneal`` the first two thirds of the steps minimise chapter 3's soft minimum F_beta, with
        beta growing geometrically from ``beta0`` to 10^4 beta0, and the last third F_inf = min_z E itself.
        At small beta every z is pulled towards every sample, and the z's split apart as beta grows. Without
        it (F_inf from the first step), a z that starts far from the data at some x is never the minimum
        there and never moves: it stays unused, like an empty cluster of K-means, and the other z learns the
        blurred mean.
        """
        x = _data(x, "x", d=self.d_in).to(torch.float64)
        y = _data(y, "y", d=self.d_y, n=x.shape[0]).to(torch.float64)
        steps, lr, seed, batch_size = _fit_options(steps, lr, seed, batch_size)
        if not isinstance(anneal, bool):
            raise TypeError(f"anneal must be True or False (got {type(anneal).__name__})")
        beta0 = _check.positive_number(beta0, "beta0")
        warm = (2 * steps) // 3 if anneal else 0
        step = [0]

        def loss(idx):
            xb, yb = (x, y) if idx is None else (x[idx], y[idx])
            E = (yb[:, None, :] - self._decode(xb)).square().sum(dim=2)
            s, step[0] = step[0], step[0] + 1
            if s < warm:
                beta = beta0 * 10 ** (4 * s / warm)
                F = energy.free_energy(E, beta).mean()
                return F + (energy.free_energy(E.detach()).mean() - F.detach())  # history shows F_inf
            return energy.free_energy(E).mean()

        return self._train(loss, x.shape[0], steps, lr, seed, batch_size, progress, "min over z")


def linear_probe(features_train, labels_train, features_test, labels_test, C=1.0) -> float:
    """Accuracy on the test set of a linear classifier (multinomial logistic regression, L2 strength
    1/C, features standardised on the training set) trained on (features_train, labels_train).

    It measures how much of the labels a representation makes linearly readable: the downstream task.
    """
    from sklearn.linear_model import LogisticRegression

    a = _data(features_train, "features_train")
    b = _data(features_test, "features_test", d=a.shape[1])
    ya, yb = (torch.as_tensor(v) for v in (labels_train, labels_test))
    if ya.shape != (a.shape[0],):
        raise ValueError(f"labels_train must have shape ({a.shape[0]},) (got {tuple(ya.shape)})")
    if yb.shape != (b.shape[0],):
        raise ValueError(f"labels_test must have shape ({b.shape[0]},) (got {tuple(yb.shape)})")
    if len(torch.unique(ya)) < 2:
        raise ValueError("labels_train must hold at least two classes")
    C = _check.positive_number(C, "C")
    mean, std = a.mean(dim=0), a.std(dim=0).clamp_min(1e-8)
    clf = LogisticRegression(C=C, max_iter=5000)
    clf.fit(((a - mean) / std).numpy(), ya.numpy())
    return float((clf.predict(((b - mean) / std).numpy()) == yb.numpy()).mean())


def draw_pretext_tasks(ax, labels=None, seed=0):
    """The lecture's Fig. 1 in the book's colours: three pretext tasks, visible cells grey, hidden cells
    (the ones to predict) green with a question mark.

    Row 1, along time: the past is visible, the future hidden. Row 2: scattered entries are masked.
    Row 3, an image: a square is occluded. ``labels`` may rename {"future", "masked", "occluded",
    "time", "visible", "hidden"}; ``seed`` draws the scattered mask of row 2.
    """
    from matplotlib.axes import Axes
    from matplotlib.patches import Rectangle

    from .diagram import GREY
    from .plot import COLORS

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (got {type(ax).__name__})")
    if labels is not None and not isinstance(labels, dict):
        raise TypeError(f"labels must be a dict or None (got {type(labels).__name__})")
    text = {
        "future": "predict the future from the past",
        "masked": "predict the masked from the visible",
        "occluded": "predict the occluded part from the rest",
        "time": "time",
        "visible": "visible (input)",
        "hidden": "hidden (to predict)",
    }
    unknown = sorted(set(labels or {}) - set(text))
    if unknown:
        raise ValueError(f"labels may only rename {sorted(text)} (got unknown keys {unknown})")
    text.update(labels or {})
    g = torch.Generator().manual_seed(_check.seed(seed))
    green = COLORS["y_bar"]

    def cell(x, y, hidden, s=0.8):
        ax.add_patch(
            Rectangle(
                (x, y), s, s, facecolor="#cdeee2" if hidden else GREY, edgecolor=green if hidden else "#555", lw=1.2
            )
        )
        if hidden:
            ax.text(x + s / 2, y + s / 2, "?", ha="center", va="center", fontsize=9, color="#0b5e45")

    n = 16
    # row 1: past visible, future hidden, along a time axis
    for i in range(n):
        cell(i, 6.2, hidden=i >= 11)
    ax.annotate("", (n + 0.3, 5.85), (0, 5.85), arrowprops={"arrowstyle": "-|>", "color": "#333", "lw": 1.2})
    ax.text(n + 0.5, 5.85, text["time"], va="center", fontsize=9)
    ax.plot([10.9, 10.9], [6.0, 7.2], color=COLORS["z"], lw=1.5, ls="--")
    ax.text(0, 7.35, text["future"], fontsize=10)
    # row 2: scattered masked entries
    masked = torch.rand(n, generator=g) < 0.3
    for i in range(n):
        cell(i, 3.6, hidden=bool(masked[i]))
    ax.text(0, 4.75, text["masked"], fontsize=10)
    # row 3: a small image with an occluded square
    for r in range(4):
        for c in range(8):
            cell(c * 0.5, 0.2 + r * 0.5, hidden=(1 <= r <= 2 and 3 <= c <= 5), s=0.45)
    ax.text(0, 2.45, text["occluded"], fontsize=10)
    # legend
    cell(10.0, 1.55, hidden=False)
    ax.text(11.0, 1.95, text["visible"], va="center", fontsize=9)
    cell(10.0, 0.35, hidden=True)
    ax.text(11.0, 0.75, text["hidden"], va="center", fontsize=9)
    ax.set_xlim(-0.3, n + 2.5)
    ax.set_ylim(0, 7.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
