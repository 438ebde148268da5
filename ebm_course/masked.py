"""Masked autoencoding: BERT's training, on a toy language and on digits.

BERT is a denoising autoencoder whose corruption is masking. Take a sentence y, hide a fraction of its
words behind a mask token (the corrupted y_tilde), and train a network to give back the hidden words:

    loss = mean over the hidden positions i of  -log softmax(f(y_tilde))_i[y_i].

Words are discrete, so the output at each hidden position is a softmax over the vocabulary: a full
distribution, which puts probability on every word that fits, in proportion (at the optimum it is the
true conditional P(y_i | visible words)).

Pixels are continuous. A network trained with squared error to fill a hidden patch outputs the
*average* of the completions that fit, a blurry image that is none of them. Quantise the intensities
and predict each hidden pixel with a softmax, and one can *sample* a completion pixel by pixel, each
pixel drawn given the visible ones and those already filled: every sample is one sharp completion.
"""

from __future__ import annotations

import torch

from . import _check
from .runtime import progress_bar

__all__ = [
    "mask_tokens",
    "kl",
    "MaskedLM",
    "bottom_rows",
    "quantise",
    "DigitInpainter",
    "sharpness",
    "nearest_distance",
]

IMAGE_SIZE = 64  # scikit-learn's digits: 8 x 8 pixels, flattened


def _generator(seed, generator) -> torch.Generator:
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator (got {type(generator).__name__})")
        return generator
    return torch.Generator().manual_seed(_check.seed(0 if seed is None else seed))


def _count(ratio: float, L: int) -> int:
    return min(L, max(1, round(ratio * L)))


def mask_tokens(tokens, ratio, mask_id, seed=None, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Hide k = max(1, round(ratio * L)) words of each sentence behind ``mask_id``.

    ``tokens`` (n, L) integer ids; ``ratio`` in (0, 1); in every row the k hidden positions are drawn
    uniformly at random without replacement. Returns ``(y_tilde, masked)``: the corrupted ids (same
    dtype, the hidden ones set to ``mask_id``) and the boolean positions hidden, both (n, L).
    ``seed`` (default 0) or a ``torch.Generator`` makes it reproducible; the global generator is untouched.
    """
    tokens = _check.int_tensor(tokens, "tokens", ndim=2, low=0)
    ratio = _check.ratio(ratio)
    mask_id = _check.positive_int(mask_id, "mask_id", minimum=0)
    g = _generator(seed, generator)
    n, L = tokens.shape
    k = _count(ratio, L)
    order = torch.rand(n, L, generator=g).argsort(dim=1)  # a random permutation of the positions per row
    masked = torch.zeros(n, L, dtype=torch.bool).scatter_(1, order[:, :k], True).to(tokens.device)
    return tokens.masked_fill(masked, mask_id), masked


def kl(p, q) -> torch.Tensor:
    """Mean over rows of KL(p || q) = sum_v p_v log(p_v / q_v), in nats, with 0 log 0 = 0.

    ``p`` and ``q`` (n, V): distributions along the last dimension. q must be > 0 wherever p is.
    """
    p = _check.finite_tensor(p, "p", ndim=2).to(torch.float64)
    q = _check.finite_tensor(q, "q", ndim=2).to(torch.float64)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape (got {tuple(p.shape)} and {tuple(q.shape)})")
    for name, t in (("p", p), ("q", q)):
        if (t < 0).any() or not torch.allclose(t.sum(dim=1), torch.ones(t.shape[0], dtype=t.dtype), atol=1e-6):
            raise ValueError(f"each row of {name} must be a distribution: entries >= 0 summing to 1")
    if ((p > 0) & (q == 0)).any():
        raise ValueError("q is 0 where p is not: KL(p || q) is infinite")
    terms = torch.where(p > 0, p * (p.clamp_min(1e-300).log() - q.clamp_min(1e-300).log()), 0.0)
    return terms.sum(dim=1).mean()


class MaskedLM(torch.nn.Module):
    """A tiny masked language model over sentences of L words from a vocabulary of V.

    Input: ids (n, L) in [0, V], where V is the mask token. Each position is one-hot encoded, the L
    codes concatenated, and an MLP (two hidden layers of ``hidden`` units, ReLU) maps them to logits
    (n, L, V): a softmax over the vocabulary at every position. Weights from ``seed``.
    """

    def __init__(self, vocab_size, length, hidden=128, seed=0):
        super().__init__()
        self.vocab_size = _check.positive_int(vocab_size, "vocab_size", minimum=2)
        self.length = _check.positive_int(length, "length")
        hidden = _check.positive_int(hidden, "hidden")
        self.mask_id = self.vocab_size
        self.history: list[float] = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_check.seed(seed))
            self.net = torch.nn.Sequential(
                torch.nn.Linear(self.length * (self.vocab_size + 1), hidden),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, hidden),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, self.length * self.vocab_size),
            )

    def _tokens(self, tokens, name="tokens", allow_mask=True) -> torch.Tensor:
        high = self.vocab_size + 1 if allow_mask else self.vocab_size
        tokens = _check.int_tensor(tokens, name, ndim=2, low=0, high=high)
        if tokens.shape[1] != self.length:
            raise ValueError(f"{name} must have shape (n, {self.length}) (got {tuple(tokens.shape)})")
        return tokens

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (n, L, V) for ids (n, L)."""
        w = self.net[0].weight
        x = torch.nn.functional.one_hot(tokens, self.vocab_size + 1).to(w.dtype).flatten(1)
        return self.net(x).view(-1, self.length, self.vocab_size)

    def predict_proba(self, tokens) -> torch.Tensor:
        """softmax over the vocabulary at each position, (n, L, V), for ids (n, L) with mask tokens."""
        tokens = self._tokens(tokens)
        with torch.no_grad():
            return torch.softmax(self(tokens), dim=-1)

    def fit(self, tokens, ratio=0.5, steps=1000, lr=3e-3, batch_size=256, seed=0, progress=True) -> MaskedLM:
        """Train on sentences ``tokens`` (n, L): each step draws a batch, masks it with
        ``mask_tokens(batch, r, mask_id)`` (fresh positions every step), and takes one Adam step on the
        cross-entropy of the hidden words. ``ratio`` is one number in (0, 1) or a list of them; with a
        list, each step uses one drawn at random. The learning rate decays along a cosine.
        Appends one loss per step to ``history`` and returns self.
        """
        tokens = self._tokens(tokens, allow_mask=False)
        ratios = [_check.ratio(r) for r in ratio] if isinstance(ratio, (list, tuple)) else [_check.ratio(ratio)]
        if not ratios:
            raise ValueError("ratio must not be an empty list")
        steps = _check.positive_int(steps, "steps")
        lr = _check.positive_number(lr, "lr")
        batch_size = _check.positive_int(batch_size, "batch_size")
        g = _generator(seed, None)
        opt = torch.optim.Adam(self.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        n = tokens.shape[0]
        for _ in progress_bar(range(steps), desc="MaskedLM", enabled=progress):
            batch = tokens[torch.randint(n, (batch_size,), generator=g)]
            r = ratios[int(torch.randint(len(ratios), (1,), generator=g))]
            y_tilde, masked = mask_tokens(batch, r, self.mask_id, generator=g)
            logits = self(y_tilde)
            loss = torch.nn.functional.cross_entropy(logits[masked], batch[masked])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            self.history.append(loss.item())
        return self


# ------------------------------------------------------------------------------------------- images


def bottom_rows(rows, side=8) -> torch.Tensor:
    """The boolean mask (side * side,) that hides the lowest ``rows`` rows of a side x side image."""
    side = _check.positive_int(side, "side")
    rows = _check.positive_int(rows, "rows")
    if rows > side:
        raise ValueError(f"rows must be <= side={side} (got {rows})")
    m = torch.zeros(side, side, dtype=torch.bool)
    m[side - rows :] = True
    return m.flatten()


def _images(images, name="images") -> torch.Tensor:
    images = _check.finite_tensor(images, name, ndim=2)
    if images.shape[1] != IMAGE_SIZE:
        raise ValueError(
            f"{name} must have shape (n, {IMAGE_SIZE}), 8 x 8 digits flattened (got {tuple(images.shape)})"
        )
    if images.min() < 0 or images.max() > 1:
        raise ValueError(f"{name} must lie in [0, 1] (got values from {images.min().item()} to {images.max().item()})")
    return images


def _region(mask, n, name="mask") -> torch.Tensor:
    mask = _check.bool_tensor(mask, name)
    if mask.shape == (IMAGE_SIZE,):
        mask = mask.expand(n, IMAGE_SIZE)
    if mask.shape != (n, IMAGE_SIZE):
        raise ValueError(f"{name} must have shape ({IMAGE_SIZE},) or ({n}, {IMAGE_SIZE}) (got {tuple(mask.shape)})")
    if not mask.any(dim=1).all():
        raise ValueError(f"{name} must hide at least one pixel of every image")
    return mask


def quantise(images, levels) -> torch.Tensor:
    """The index (long) of the nearest of ``levels`` evenly spaced intensities 0, 1/(levels-1), ..., 1."""
    images = _check.finite_tensor(images, "images")
    levels = _check.positive_int(levels, "levels", minimum=2)
    return (images * (levels - 1)).round().clamp(0, levels - 1).long()


class DigitInpainter(torch.nn.Module):
    """Fill a hidden region of an 8 x 8 digit. Input: the image with hidden pixels set to 0, and the
    0/1 map of what is hidden (128 numbers); an MLP with two hidden layers of ``hidden`` units.

    The network computes in float32 whatever torch's default dtype (fast enough to train in seconds);
    ``fill`` and ``sample`` return the dtype of the images they are given.

    kind="squared": 64 outputs, trained with squared error on the hidden pixels; ``fill`` returns them.
        The minimiser of the expected squared error is the conditional mean: the average completion.
    kind="softmax": 64 x ``levels`` logits, a softmax over quantised intensities per pixel, trained with
        cross-entropy on the hidden pixels. ``sample`` fills the region pixel by pixel in raster order,
        each pixel drawn from its softmax given the visible pixels and those already filled.
    """

    def __init__(self, kind="softmax", levels=17, hidden=256, seed=0):
        super().__init__()
        if kind not in ("squared", "softmax"):
            raise ValueError(f'kind must be "squared" or "softmax" (got {kind!r})')
        self.kind = kind
        self.levels = _check.positive_int(levels, "levels", minimum=2)
        hidden = _check.positive_int(hidden, "hidden")
        out = IMAGE_SIZE if kind == "squared" else IMAGE_SIZE * self.levels
        self.history: list[float] = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(_check.seed(seed))
            self.net = torch.nn.Sequential(
                torch.nn.Linear(2 * IMAGE_SIZE, hidden, dtype=torch.float32),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, hidden, dtype=torch.float32),
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, out, dtype=torch.float32),
            )

    def forward(self, images: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """(n, 64) intensities for kind="squared"; (n, 64, levels) logits for kind="softmax"."""
        w = self.net[0].weight
        x = torch.cat([images.to(w.dtype) * ~hidden, hidden.to(w.dtype)], dim=1)
        out = self.net(x)
        return out if self.kind == "squared" else out.view(-1, IMAGE_SIZE, self.levels)

    def _pixel_logits(self, images: torch.Tensor, hidden: torch.Tensor, j: int) -> torch.Tensor:
        """forward(images, hidden)[:, j] for kind="softmax", computing only pixel j's rows of the last layer
        (the sampler needs one pixel at a time; a test proves the two equal)."""
        w = self.net[0].weight
        x = torch.cat([images.to(w.dtype) * ~hidden, hidden.to(w.dtype)], dim=1)
        h = self.net[:-1](x)
        last = self.net[-1]
        rows = slice(j * self.levels, (j + 1) * self.levels)
        return torch.nn.functional.linear(h, last.weight[rows], last.bias[rows])

    def fit(self, images, masks, steps=1000, lr=2e-3, batch_size=128, seed=0, progress=True) -> DigitInpainter:
        """Train on clean digits ``images`` (n, 64) in [0, 1]. ``masks`` (r, 64) boolean: the regions to
        hide, one drawn at random per image per step. For kind="softmax" a random fraction of each region
        is shown again (as if already filled), so the model learns every conditional ``sample`` needs.
        Appends one loss per step to ``history`` and returns self.
        """
        images = _images(images)
        masks = _check.bool_tensor(masks, "masks")
        if masks.ndim != 2 or masks.shape[1] != IMAGE_SIZE or masks.shape[0] == 0:
            raise ValueError(f"masks must have shape (r, {IMAGE_SIZE}) with r >= 1 (got {tuple(masks.shape)})")
        if not masks.any(dim=1).all():
            raise ValueError("masks must each hide at least one pixel")
        steps = _check.positive_int(steps, "steps")
        lr = _check.positive_number(lr, "lr")
        batch_size = _check.positive_int(batch_size, "batch_size")
        g = _generator(seed, None)
        w = self.net[0].weight
        images = images.to(dtype=w.dtype, device=w.device)
        targets = quantise(images, self.levels)
        masks = masks.to(w.device)
        opt = torch.optim.Adam(self.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
        n = images.shape[0]
        for _ in progress_bar(range(steps), desc=f"DigitInpainter ({self.kind})", enabled=progress):
            idx = torch.randint(n, (batch_size,), generator=g)
            hidden = masks[torch.randint(masks.shape[0], (batch_size,), generator=g)]
            if self.kind == "softmax":  # show again a uniformly random fraction of the region
                u = torch.rand(batch_size, 1, generator=g)
                hidden = hidden & (torch.rand(batch_size, IMAGE_SIZE, generator=g) >= u)
                hidden[~hidden.any(dim=1)] = masks[0]  # keep at least one pixel to predict
            out = self(images[idx], hidden)
            if self.kind == "squared":
                loss = (out - images[idx])[hidden].square().mean()
            else:
                loss = torch.nn.functional.cross_entropy(out[hidden], targets[idx][hidden])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            self.history.append(loss.item())
        return self

    def fill(self, images, mask) -> torch.Tensor:
        """kind="squared": the images with the hidden pixels replaced by the network's output (clipped to
        [0, 1]); the visible pixels are kept. ``mask`` (64,) or (n, 64) boolean."""
        if self.kind != "squared":
            raise ValueError('fill is the squared-error model\'s; a kind="softmax" model samples: use sample')
        images = _images(images)
        hidden = _region(mask, images.shape[0])
        with torch.no_grad():
            out = self(images, hidden).clamp(0, 1).to(images.dtype)
        return torch.where(hidden, out, images)

    def sample(self, images, mask, seed=0, temperature=1.0) -> torch.Tensor:
        """kind="softmax": fill the hidden pixels one at a time in raster order, each drawn from
        softmax(logits / temperature) given the visible pixels and those already filled; a drawn level k
        becomes the intensity k / (levels - 1). Returns (n, 64); the visible pixels are kept."""
        if self.kind != "softmax":
            raise ValueError('sample is the softmax model\'s; a kind="squared" model fills: use fill')
        images = _images(images)
        hidden = _region(mask, images.shape[0]).clone()
        temperature = _check.positive_number(temperature, "temperature")
        g = _generator(seed, None)
        y = images.clone()
        values = torch.linspace(0, 1, self.levels, dtype=y.dtype)
        with torch.no_grad():
            for j in range(IMAGE_SIZE):
                rows = hidden[:, j]
                if not rows.any():
                    continue
                logits = self._pixel_logits(y[rows], hidden[rows], j) / temperature
                k = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=g)[:, 0]
                y[rows, j] = values[k]
                hidden[rows, j] = False
        return y


def sharpness(images, mask) -> torch.Tensor:
    """Mean over the hidden pixels of |2 x - 1|, per image (n,): 1 when every filled pixel is black or
    white, 0 when all are mid-grey. ``mask`` (64,) or (n, 64) boolean."""
    images = _images(images)
    hidden = _region(mask, images.shape[0])
    return ((2 * images - 1).abs() * hidden).sum(dim=1) / hidden.sum(dim=1)


def nearest_distance(images, reference) -> torch.Tensor:
    """For each image (n, 64), the Euclidean distance to the nearest of the ``reference`` digits (m, 64)."""
    images = _images(images)
    reference = _images(reference, "reference")
    return torch.cdist(images.to(torch.float64), reference.to(torch.float64)).min(dim=1).values
