"""Reviewer assignment: 2,000 papers x 3,000 reviewers (times ``scale``), k=3, max_load 6.

~60 positive affinities per paper (reviewers drawn with log-normal popularity, sigma 2, so popular
reviewers are over-demanded and the fair objective has something to do -- with uniform draws the
max-total assignment already reaches the max-min bound; values uniform in (0, 1)), 1% of all pairs
conflicted.  Measures the exact optimum with every pair allowed (zero-pool construction), the
textbook network with an arc per allowed pair as a cross-check, pruning to the top 100 (and 20)
affinities per paper, and the fair objective.  A second, "sparse tight" instance (5 affinities per
paper, max_load 2 so capacity equals demand exactly) makes most reviews zero-affinity ones, i.e.
exercises the zero pool and its realisation, again cross-checked against the textbook network.
"""

import numpy as np

from bench.common import stopwatch
from reviews.assignment import solve, solve_arrays

SEED = 20240601
POPULARITY_SIGMA = 2.0


def generate(scale: float, seed: int = SEED) -> dict:
    rng = np.random.default_rng(seed)
    n = max(2, round(2000 * scale))
    m = max(4, round(3000 * scale))
    per = min(60, m - 1)
    popularity = rng.normal(0.0, POPULARITY_SIGMA, m)
    # Gumbel top-k draws `per` distinct reviewers per paper with probability ~ popularity.
    keys = popularity[None, :] + rng.gumbel(size=(n, m))
    reviewer = np.argpartition(-keys, per - 1, axis=1)[:, :per].ravel()
    paper = np.repeat(np.arange(n), per)
    value = rng.random(paper.size)
    conflict = rng.choice(n * m, size=int(0.01 * n * m), replace=False)
    return {
        "n_papers": n, "max_load": np.full(m, 6), "reviewers_per_paper": 3,
        "affinity_paper": paper, "affinity_reviewer": reviewer, "affinity_value": value,
        "conflict_paper": conflict // m, "conflict_reviewer": conflict % m,
    }


def sparse_tight(arrays: dict, per: int = 5) -> dict:
    paper = arrays["affinity_paper"]  # grouped by paper, see generate()
    keep = np.arange(paper.size) - np.searchsorted(paper, paper) < per
    out = {key: (val[keep] if key.startswith("affinity_") else val) for key, val in arrays.items()}
    m = len(arrays["max_load"])
    out["max_load"] = np.full(m, -(-arrays["n_papers"] * arrays["reviewers_per_paper"] // m))
    return out


def as_json(arrays: dict) -> dict:
    m = len(arrays["max_load"])
    return {
        "papers": [f"p{i}" for i in range(arrays["n_papers"])],
        "reviewers": [{"id": f"r{j}", "max_load": 6} for j in range(m)],
        "reviewers_per_paper": arrays["reviewers_per_paper"],
        "affinity": [[f"p{i}", f"r{j}", v] for i, j, v in zip(arrays["affinity_paper"].tolist(),
                                                               arrays["affinity_reviewer"].tolist(),
                                                               arrays["affinity_value"].tolist(), strict=True)],
        "conflicts": [[f"p{i}", f"r{j}"] for i, j in zip(arrays["conflict_paper"].tolist(),
                                                         arrays["conflict_reviewer"].tolist(), strict=True)],
        "objective": "total",
    }


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        with stopwatch() as elapsed:
            out = fn()
        best = min(best, elapsed())
    return out, best


def run(scale: float) -> dict:
    with stopwatch() as gen_time:
        arrays = generate(scale)
    exact, all_s = timed(lambda: solve_arrays(**arrays), repeat=3)
    dense, dense_s = timed(lambda: solve_arrays(**arrays, zero_pool=False))
    pruned, pruned_s = timed(lambda: solve_arrays(**arrays, prune_top=100), repeat=3)
    pruned20, pruned20_s = timed(lambda: solve_arrays(**arrays, prune_top=20), repeat=3)
    fair, fair_s = timed(lambda: solve_arrays(**arrays, objective="fair"))
    tight = sparse_tight(arrays)
    tight_res, tight_s = timed(lambda: solve_arrays(**tight), repeat=3)
    tight_dense, tight_dense_s = timed(lambda: solve_arrays(**tight, zero_pool=False))
    problem = as_json(arrays)
    via_json, json_s = timed(lambda: solve(problem))

    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(1.0, abs(b))

    figures = {
        "papers": arrays["n_papers"],
        "reviewers": len(arrays["max_load"]),
        "affinity_pairs": int(arrays["affinity_paper"].size),
        "conflict_pairs": int(arrays["conflict_paper"].size),
        "generate_seconds": round(gen_time(), 3),
        "all_pairs_seconds": round(all_s, 3),
        "all_pairs_method": exact.method,
        "total_affinity_all": round(exact.total_affinity, 6),
        "dense_reference_seconds": round(dense_s, 3),
        "dense_reference_equals_optimum": same(dense.total_affinity, exact.total_affinity),
        "json_solve_seconds": round(json_s, 3),
        "json_equals_optimum": same(via_json["total_affinity"], exact.total_affinity),
        "pruned_top100_seconds": round(pruned_s, 3),
        "total_affinity_pruned": round(pruned.total_affinity, 6),
        "pruned_equals_optimum": same(pruned.total_affinity, exact.total_affinity),
        "pruned_top20_seconds": round(pruned20_s, 3),
        "total_affinity_pruned_top20": round(pruned20.total_affinity, 6),
        "pruned_top20_equals_optimum": same(pruned20.total_affinity, exact.total_affinity),
        "fair_seconds": round(fair_s, 3),
        "fair_method": fair.method,
        "fair_min_paper_affinity": round(fair.min_paper_affinity, 6),
        "fair_upper_bound": round(fair.fair_upper_bound, 6),
        "fair_optimal_proven": fair.optimal,
        "fair_total_affinity": round(fair.total_affinity, 6),
        "total_objective_min_paper_affinity": round(exact.min_paper_affinity, 6),
        "sparse_tight_seconds": round(tight_s, 3),
        "sparse_tight_method": tight_res.method,
        "sparse_tight_total_affinity": round(tight_res.total_affinity, 6),
        "sparse_tight_dense_seconds": round(tight_dense_s, 3),
        "sparse_tight_equals_dense": same(tight_res.total_affinity, tight_dense.total_affinity),
    }
    return {
        "figures": figures,
        "goal": "exact optimum with all pairs allowed < 10 s and with candidates pruned to top 100 < 1 s "
                "(2,000 papers x 3,000 reviewers at scale 1)",
        "met": all_s < 10 and pruned_s < 1,
    }
