"""Data the chapters generate (nothing is downloaded) and integration grids."""

from __future__ import annotations

import math

import torch

from . import _check

__all__ = ["GaussianMixture", "Spiral", "sample_ellipse", "grid_1d", "grid_2d", "Grammar", "exact_conditional"]


class GaussianMixture:
    """p(y) = sum_c pi_c N(y; mu_c, sigma_c^2 I) in d dimensions.

    ``means`` (C, d), ``stds`` (C,), ``weights`` (C,) summing to 1.
    """

    def __init__(self, means, stds, weights):
        self.means = _check.finite_tensor(means, "means", ndim=2).to(torch.float64)
        self.stds = _check.finite_tensor(stds, "stds", ndim=1).to(torch.float64)
        self.weights = _check.finite_tensor(weights, "weights", ndim=1).to(torch.float64)
        C = self.means.shape[0]
        if self.stds.shape[0] != C or self.weights.shape[0] != C:
            raise ValueError(f"stds and weights must have one entry per mean ({C} means)")
        if (self.stds <= 0).any():
            raise ValueError("stds must all be > 0")
        if (self.weights < 0).any() or abs(self.weights.sum().item() - 1) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1 (sum {self.weights.sum().item()})")

    @property
    def d(self) -> int:
        return self.means.shape[1]

    def sample(self, n, seed=0) -> torch.Tensor:
        """n samples, shape (n, d), float64, reproducible from ``seed``."""
        n = _check.positive_int(n, "n")
        g = torch.Generator().manual_seed(_check.seed(seed))
        c = torch.multinomial(self.weights, n, replacement=True, generator=g)
        noise = torch.randn(n, self.d, generator=g, dtype=torch.float64)
        return self.means[c] + self.stds[c, None] * noise

    def log_prob(self, y) -> torch.Tensor:
        """log p(y) for y of shape (n, d)."""
        y = _check.finite_tensor(y, "y", ndim=2).to(torch.float64)
        if y.shape[1] != self.d:
            raise ValueError(f"y must have {self.d} columns (got shape {tuple(y.shape)})")
        sq = torch.cdist(y, self.means).square()
        log_norm = -0.5 * self.d * torch.log(2 * math.pi * self.stds**2)
        comp = torch.log(self.weights) + log_norm - sq / (2 * self.stds**2)
        return torch.logsumexp(comp, dim=1)


class Spiral:
    """Points near a two-dimensional spiral, the data manifold of chapters 4 and 5.

    The clean curve is y(t) = r(t) [cos(theta(t)), sin(theta(t))] for t in [0, 1], with
    theta(t) = turns * 2 pi * t and r(t) = r0 + (r1 - r0) t; samples add N(0, noise^2 I).
    ``curve(m)`` gives m points along the clean curve, ``nearest(y)`` the closest of them.
    """

    def __init__(self, turns=1.5, r0=0.3, r1=2.0, noise=0.05):
        self.turns = _check.positive_number(turns, "turns")
        self.r0 = _check.positive_number(r0, "r0")
        self.r1 = _check.positive_number(r1, "r1")
        if self.r1 <= self.r0:
            raise ValueError(f"r1 must be > r0 (got r0={self.r0}, r1={self.r1})")
        self.noise = _check.real_number(noise, "noise", minimum=0.0)

    def _at(self, t: torch.Tensor) -> torch.Tensor:
        theta = 2 * math.pi * self.turns * t
        r = self.r0 + (self.r1 - self.r0) * t
        return torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)

    def sample(self, n, seed=0) -> torch.Tensor:
        """n noisy points, shape (n, 2), float64; t is uniform along the curve's length."""
        n = _check.positive_int(n, "n")
        g = torch.Generator().manual_seed(_check.seed(seed))
        # draw t uniformly along the arc length: invert the cumulative length of a fine polyline
        fine = self.curve(4096)
        seg = (fine[1:] - fine[:-1]).norm(dim=1)
        cum = torch.cat([torch.zeros(1, dtype=torch.float64), seg.cumsum(0)])
        s = torch.rand(n, generator=g, dtype=torch.float64) * cum[-1]
        idx = torch.searchsorted(cum, s).clamp(1, cum.numel() - 1)
        frac = (s - cum[idx - 1]) / seg[idx - 1]
        t = (idx - 1 + frac) / (cum.numel() - 1)
        y = self._at(t)
        return y + self.noise * torch.randn(n, 2, generator=g, dtype=torch.float64)

    def curve(self, m=512) -> torch.Tensor:
        """m points along the clean curve, from its inner to its outer end, shape (m, 2)."""
        m = _check.positive_int(m, "m", minimum=2)
        return self._at(torch.linspace(0.0, 1.0, m, dtype=torch.float64))

    def nearest(self, y, m=4096) -> tuple[torch.Tensor, torch.Tensor]:
        """For each row of y (n, 2): the closest of m points on the clean curve, and its distance."""
        y = _check.finite_tensor(y, "y", ndim=2).to(torch.float64)
        if y.shape[1] != 2:
            raise ValueError(f"y must have 2 columns (got shape {tuple(y.shape)})")
        c = self.curve(m)
        d = torch.cdist(y, c)
        dist, idx = d.min(dim=1)
        return c[idx], dist


def sample_ellipse(n, rho=(2.0, 1.0), noise=0.1, x=None, seed=0):
    """n noisy points on an ellipse, the data of chapter 3: y = x * [rho1 cos theta, rho2 sin theta] + noise * N(0, I).

    theta is uniform on [0, 2 pi); x (n,), when given, scales each point's radii (the horn; default 1).
    Returns (y, theta): float64 tensors (n, 2) and (n,).
    """
    n = _check.positive_int(n, "n")
    rho = _check.finite_tensor(rho, "rho", ndim=1).to(torch.float64)
    if rho.shape[0] != 2:
        raise ValueError(f"rho must hold the two radii (rho1, rho2) (got shape {tuple(rho.shape)})")
    noise = _check.real_number(noise, "noise", minimum=0.0)
    gen = torch.Generator().manual_seed(_check.seed(seed))
    theta = torch.rand(n, generator=gen, dtype=torch.float64) * 2 * math.pi
    y = torch.stack([rho[0] * torch.cos(theta), rho[1] * torch.sin(theta)], dim=-1)
    if x is not None:
        x = _check.finite_tensor(x, "x", ndim=1)
        if x.shape[0] != n:
            raise ValueError(f"x must hold one input per sample, shape ({n},) (got {tuple(x.shape)})")
        y = x[:, None].to(torch.float64) * y
    y = y + noise * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    return y, theta


def grid_1d(lo, hi, m):
    """m cell centres covering [lo, hi], shape (m, 1), and the cell width."""
    lo = _check.real_number(lo, "lo")
    hi = _check.real_number(hi, "hi")
    if hi <= lo:
        raise ValueError(f"need lo < hi (got lo={lo}, hi={hi})")
    m = _check.positive_int(m, "m", minimum=2)
    h = (hi - lo) / m
    g = torch.linspace(lo + h / 2, hi - h / 2, m, dtype=torch.float64)
    return g[:, None], h


def grid_2d(lo, hi, m):
    """m x m cell centres covering [lo, hi]^2, shape (m*m, 2), and the cell area."""
    g, h = grid_1d(lo, hi, m)
    a, b = torch.meshgrid(g[:, 0], g[:, 0], indexing="xy")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1), h * h


class Grammar:
    """A small probabilistic grammar with a finite language, so every conditional is known exactly.

    ``rules`` maps a non-terminal to its alternatives, each a pair (right-hand side, probability):

        {"S": [("cats VP_CAT", 0.6), ("dogs VP_DOG", 0.4)], "VP_CAT": [("chase mice", 1.0)], ...}

    A right-hand side is a string of symbols separated by spaces; a symbol that is a key of ``rules``
    is expanded, any other is a word. The probabilities of each non-terminal's alternatives sum to 1.
    Expanding ``start`` in every way lists the language: ``sentences`` (m, L) word ids, one row per
    sentence, and ``probs`` (m,) their probabilities, the product of the rules used. Every sentence
    must have the same length L. ``vocab`` lists the words in the order they first appear in the
    rules, and the sentences are sorted by probability, so two grammars with the same structure in two
    languages give the same ids and the same samples, even when their word orders differ.
    """

    def __init__(self, rules, start="S", max_sentences=100_000):
        if not isinstance(rules, dict) or not rules:
            raise TypeError(
                f"rules must be a non-empty dict of non-terminal -> alternatives (got {type(rules).__name__})"
            )
        if not isinstance(start, str) or start not in rules:
            raise ValueError(f"start must be a key of rules (got {start!r})")
        max_sentences = _check.positive_int(max_sentences, "max_sentences")
        vocab: list[str] = []
        for lhs, alternatives in rules.items():
            if not isinstance(lhs, str) or not isinstance(alternatives, (list, tuple)) or not alternatives:
                raise ValueError(f"rules[{lhs!r}] must be a non-empty list of (right-hand side, probability) pairs")
            total = 0.0
            for alt in alternatives:
                if not (isinstance(alt, (list, tuple)) and len(alt) == 2 and isinstance(alt[0], str)):
                    raise ValueError(f"rules[{lhs!r}]: each alternative must be a (string, probability) pair")
                p = _check.positive_number(alt[1], f"the probability of {alt[0]!r} in rules[{lhs!r}]")
                total += p
                for sym in alt[0].split():
                    if sym not in rules and sym not in vocab:
                        vocab.append(sym)
                if not alt[0].split():
                    raise ValueError(f"rules[{lhs!r}]: a right-hand side must not be empty")
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"the probabilities of rules[{lhs!r}] must sum to 1 (got {total})")
        self.rules, self.start, self.vocab = rules, start, vocab
        self._index = {w: i for i, w in enumerate(vocab)}

        def expand(symbols, depth):  # every (words, probability) a list of symbols can produce
            if depth > len(rules):
                raise ValueError("rules must not be recursive (the language must be finite)")
            out = [((), 1.0)]
            for sym in symbols:
                if sym in rules:
                    options = [(w, p * q) for rhs, p in rules[sym] for w, q in expand(rhs.split(), depth + 1)]
                else:
                    options = [((sym,), 1.0)]
                out = [(a + b, p * q) for a, p in out for b, q in options]
                if len(out) > max_sentences:
                    raise ValueError(f"the grammar has more than max_sentences={max_sentences} sentences")
            return out

        found: dict[tuple, float] = {}
        for words, p in expand([start], 0):
            found[words] = found.get(words, 0.0) + p
        # most probable first; ties by the sorted word ids, which do not depend on the word order
        found = dict(sorted(found.items(), key=lambda kv: (-kv[1], sorted(self._index[w] for w in kv[0]))))
        lengths = {len(w) for w in found}
        if len(lengths) != 1:
            raise ValueError(f"every sentence must have the same length (got lengths {sorted(lengths)})")
        self.length = lengths.pop()
        self.sentences = torch.tensor([[self._index[w] for w in s] for s in found], dtype=torch.long)
        self.probs = torch.tensor(list(found.values()), dtype=torch.float64)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def sample(self, n, seed=0) -> torch.Tensor:
        """n sentences drawn from the grammar, word ids of shape (n, L), dtype long."""
        n = _check.positive_int(n, "n")
        g = torch.Generator().manual_seed(_check.seed(seed))
        return self.sentences[torch.multinomial(self.probs, n, replacement=True, generator=g)]

    def encode(self, text) -> torch.Tensor:
        """The ids of the words of one sentence (a string), shape (L,)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string (got {type(text).__name__})")
        unknown = [w for w in text.split() if w not in self._index]
        if unknown:
            raise ValueError(f"text has words outside the vocabulary: {unknown}")
        return torch.tensor([self._index[w] for w in text.split()], dtype=torch.long)

    def decode(self, ids, mask_word="___") -> str:
        """The words of ids (L,) joined by spaces; an id equal to vocab_size (the mask token) reads ``mask_word``."""
        ids = _check.int_tensor(ids, "ids", ndim=1, low=0, high=self.vocab_size + 1)
        return " ".join(mask_word if i == self.vocab_size else self.vocab[i] for i in ids.tolist())

    def conditional(self, tokens, masked) -> torch.Tensor:
        """The exact P(w_i = v | the visible words), shape (n, L, V); see ``exact_conditional``."""
        return exact_conditional(self.sentences, self.probs, tokens, masked, self.vocab_size)


def exact_conditional(sentences, probs, tokens, masked, vocab_size) -> torch.Tensor:
    """Bayes' rule by enumeration over a finite language.

    ``sentences`` (m, L) word ids with probabilities ``probs`` (m,); ``tokens`` (n, L) and ``masked``
    (n, L) boolean, True where a word is hidden. A sentence s is consistent with row r when it agrees
    with every visible word of r; then

        P(w_i = v | visible words of r) = sum over consistent s with s_i = v of P(s) / sum over consistent s of P(s).

    Returns (n, L, vocab_size) float64; at a visible position the row is one-hot on the visible word.
    Hidden positions of ``tokens`` may hold anything (the mask token, say).
    """
    vocab_size = _check.positive_int(vocab_size, "vocab_size")
    sentences = _check.int_tensor(sentences, "sentences", ndim=2, low=0, high=vocab_size)
    probs = _check.finite_tensor(probs, "probs", ndim=1).to(torch.float64)
    if probs.shape[0] != sentences.shape[0] or (probs < 0).any():
        raise ValueError(f"probs must hold one probability >= 0 per sentence ({sentences.shape[0]} sentences)")
    tokens = _check.int_tensor(tokens, "tokens", ndim=2)
    masked = _check.bool_tensor(masked, "masked")
    if tokens.shape[1] != sentences.shape[1] or masked.shape != tokens.shape:
        raise ValueError(
            f"tokens and masked must have shape (n, {sentences.shape[1]}) (got {tuple(tokens.shape)} and {tuple(masked.shape)})"
        )
    agree = (sentences[None] == tokens[:, None]) | masked[:, None]  # (n, m, L)
    weight = probs[None] * agree.all(dim=2)  # (n, m)
    total = weight.sum(dim=1, keepdim=True)
    if (total == 0).any():
        row = int((total[:, 0] == 0).nonzero()[0])
        raise ValueError(f"tokens row {row}: no sentence of the language agrees with its visible words")
    onehot = torch.nn.functional.one_hot(sentences, vocab_size).to(torch.float64)  # (m, L, V)
    return torch.einsum("nm,mlv->nlv", weight / total, onehot)


# ---------------------------------------------------------------- chapter 1: sequences and a two-way "video"

__all__ += ["blob_frames", "TwoWayVideo", "wave_sequences"]


def blob_frames(centres, width=32, blob=1.0):
    """Frames of ``width`` pixels, each holding one Gaussian blob of standard deviation ``blob`` pixels:

        frame_i[j] = exp(-(j - c_i)^2 / (2 blob^2)),   j = 0, ..., width - 1,

    for the centres c_i (n,). Returns (n, width), float64; the peak is 1 where c_i is a whole pixel.
    """
    centres = _check.finite_tensor(centres, "centres", ndim=1).to(torch.float64)
    width = _check.positive_int(width, "width", minimum=2)
    blob = _check.positive_number(blob, "blob")
    j = torch.arange(width, dtype=torch.float64)
    return torch.exp(-((j[None, :] - centres[:, None]) ** 2) / (2 * blob**2))


class TwoWayVideo:
    """A toy video whose next frame goes one of two ways.

    Each sample is a blob at a whole-pixel position ``now`` (drawn uniformly among the positions that
    leave room to move) in a frame of ``width`` pixels; in the next frame it has moved ``step`` pixels to
    the left with probability ``p_left``, else ``step`` pixels to the right:

        next = now - step  (probability p_left),   next = now + step  (probability 1 - p_left).

    Attributes, after ``TwoWayVideo(n, ...)``: ``x`` (n, width) the frame now, ``y`` (n, width) the next
    frame, ``now`` and ``next`` (n,) LongTensors of positions, ``left`` (n,) BoolTensor. Nothing in ``x``
    tells left from right: the future is uncertain, and the best any predictor can do is spread its bet.
    ``futures(now)`` gives the two possible next frames for given positions, (m, 2, width): left, right.
    """

    def __init__(self, n, width=32, step=4, blob=1.0, p_left=0.5, seed=0):
        n = _check.positive_int(n, "n")
        self.width = _check.positive_int(width, "width", minimum=2)
        self.step = _check.positive_int(step, "step")
        self.blob = _check.positive_number(blob, "blob")
        if isinstance(p_left, bool) or not isinstance(p_left, (int, float)):
            raise TypeError(f"p_left must be a real number (got {type(p_left).__name__})")
        if not 0.0 <= float(p_left) <= 1.0:
            raise ValueError(f"p_left must be in [0, 1] (got {p_left})")
        self.p_left = float(p_left)
        lo, hi = self.step + 1, self.width - self.step - 2  # the blob and its two futures stay inside the frame
        if hi < lo:
            raise ValueError(f"width must be >= 2 * step + 3 (got width={self.width}, step={self.step})")
        self.positions = torch.arange(lo, hi + 1)
        g = torch.Generator().manual_seed(_check.seed(seed))
        self.now = self.positions[torch.randint(len(self.positions), (n,), generator=g)]
        self.left = torch.rand(n, generator=g, dtype=torch.float64) < self.p_left
        self.next = torch.where(self.left, self.now - self.step, self.now + self.step)
        self.x = blob_frames(self.now.double(), self.width, self.blob)
        self.y = blob_frames(self.next.double(), self.width, self.blob)

    def futures(self, now) -> torch.Tensor:
        """The two possible next frames of blobs at positions ``now`` (m,): shape (m, 2, width), left first."""
        now = _check.finite_tensor(now, "now", ndim=1).to(torch.float64)
        left = blob_frames(now - self.step, self.width, self.blob)
        right = blob_frames(now + self.step, self.width, self.blob)
        return torch.stack([left, right], dim=1)


def wave_sequences(n, length=40, noise=0.02, seed=0):
    """n sequences of ``length`` steps, each a sum of two sine waves with random frequencies, phases and
    amplitudes plus Gaussian noise of standard deviation ``noise``:

        s_i(t) = a_i1 sin(w_i1 t + phi_i1) + a_i2 sin(w_i2 t + phi_i2) + noise * eps_it,

    with w in [0.2, 0.8] radians per step, phi in [0, 2 pi), a in [0.3, 1]. Returns (n, length), float64:
    data for "predict the future from the past" (the past is the first part of a row, the future the rest).
    """
    n = _check.positive_int(n, "n")
    length = _check.positive_int(length, "length", minimum=2)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)):
        raise TypeError(f"noise must be a real number (got {type(noise).__name__})")
    if not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be >= 0 and finite (got {noise})")
    g = torch.Generator().manual_seed(_check.seed(seed))

    def uniform(lo, hi):
        return lo + (hi - lo) * torch.rand(n, 2, 1, generator=g, dtype=torch.float64)

    w, phi, a = uniform(0.2, 0.8), uniform(0.0, 2 * math.pi), uniform(0.3, 1.0)
    t = torch.arange(length, dtype=torch.float64)
    s = (a * torch.sin(w * t + phi)).sum(dim=1)
    return s + noise * torch.randn(n, length, generator=g, dtype=torch.float64)
