"""Chapter 7's table: one energy trained on a 2-D mixture by every contrastive method, held-out NLL exactly.

The problem and the settings are the chapter's own (``ebm_course.contrastive.NLLProblem``, ``TABLE_METHODS``,
``TABLE_TRAINING``): 49 Gaussian bumps, 1,000 training and 5,000 held-out samples, 300 Adam steps on batches
of 128. Each method's held-out NLL is computed by normalising over a 48 x 48 grid, beside the exact
maximum-likelihood fit (the reference) and the true density's entropy (the limit). Target: the best contrastive
method within 0.3 nats of the exact fit. Wall times are of one thread.

Also measured: each sampler on the true mixture energy (1,000 chains, 200 steps from uniform noise over
[-4, 4]^2), its acceptance rate and its effective sample size per second over the last 100 steps.
"""

from __future__ import annotations

import os
import time


def _samplers(problem) -> dict:
    import torch

    import ebm_course as ec

    def E(y):
        return -problem.mixture.log_prob(y)

    start = ec.samplers.monte_carlo(lambda y: 0 * y[:, 0], 1000, -4.0, 4.0, d=2, seed=2)
    steps = {
        "metropolis": lambda y, g: ec.samplers.metropolis(E, y, 1, 0.6, generator=g, return_acceptance=True),
        "langevin": lambda y, g: (ec.langevin(E, y, 1, 0.02, generator=g), 1.0),
        "hmc": lambda y, g: ec.hmc(E, y, 1, 0.15, 8, generator=g, return_acceptance=True),
    }
    out = {}
    for name, step in steps.items():
        g = torch.Generator().manual_seed(3)
        y, trace, rates = start, [], []
        t0 = time.perf_counter()
        for _ in range(200):
            y, rate = step(y, g)
            trace.append(y[:, 0])
            rates.append(rate)
        seconds = time.perf_counter() - t0
        ess = ec.samplers.effective_sample_size(torch.stack(trace[100:]))
        out[name] = {"acceptance": round(sum(rates[100:]) / 100, 3), "ess_per_s": round(ess / seconds, 1)}
    return out


def run() -> dict:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    from ebm_course import contrastive

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        problem = contrastive.NLLProblem()
        results = contrastive.compare_methods(problem, progress=False)
        exact = results["exact"]["nll"]
        methods = {
            name: {
                "nll": round(r["nll"], 4),
                "gap": round(r["nll"] - exact, 4),
                "seconds": round(r["seconds"], 2),
            }
            for name, r in results.items()
            if name not in ("entropy", "exact")
        }
        best = min(methods, key=lambda m: methods[m]["nll"])
        return {
            "exact_nll": round(exact, 4),
            "exact_seconds": round(results["exact"]["seconds"], 2),
            "entropy": round(results["entropy"], 4),
            "methods": methods,
            "best_method": best,
            "best_gap": methods[best]["gap"],
            "best_gap_target": 0.3,
            "samplers": _samplers(problem),
        }
    finally:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=1))
