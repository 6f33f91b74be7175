"""Optimal reviewer assignment for academic meetings (pure Python, no Django).

Problem
=======
Papers ``P`` (n), reviewers ``R`` (m, each with ``max_load``), ``k`` reviewers per paper, a sparse
list of affinities (pairs not listed have affinity 0) and conflicts.  Every paper gets exactly ``k``
distinct reviewers, no reviewer exceeds ``max_load``, no conflicted pair is used.  A conflict
overrides an affinity given for the same pair.  Affinities must be finite and >= 0 (use a conflict
to forbid a pair).

``objective="total"``: maximise the sum of affinities.  ``objective="fair"``: maximise the minimum
over papers of the paper's affinity sum, then the total subject to that minimum.

Exact "total" without building all n*m pairs
============================================
The textbook network (paper --1--> reviewer for every allowed pair) has ~6M arcs for 2,000 x 3,000.
Only listed pairs (affinity > 0) carry cost; all other allowed pairs are interchangeable zeros.  So:

1. *Relaxation* ``N_pool``: explicit arcs paper -> reviewer for listed pairs (cost ``-round(a*S)``)
   plus one aggregate "zero pool" node: paper -> pool (capacity k, cost 0), pool -> reviewer
   (capacity max_load).  Every real assignment is a flow of ``N_pool`` with the same cost, so
   ``opt(N_pool) >= OPT``.  The pool forgets which paper a unit came from, so it may violate
   distinctness or conflicts: that is why it is only a relaxation.
2. *Realisation*: the pool flow says paper i needs ``d_i`` zero-affinity reviewers; each reviewer
   has ``spare_j = max_load_j - explicit load``.  We look for a b-matching of these demands into
   the *allowed* pairs (not conflicted, not already assigned to the paper) with a max-flow over a
   small candidate window of reviewers per paper, widening the window on failure until it is the
   whole complement graph.  Realised pairs have affinity >= 0, so the realised assignment has
   value >= ``opt(N_pool)`` >= ``OPT``: it is optimal, and the optimality is *certified* by the
   relaxation bound rather than assumed.
3. If no realisation exists (only when spare capacity is almost exhausted and conflicts bite), we
   fall back to the dense network with every allowed pair (exact, slow, rare).

Costs are integers (OR-Tools needs them): ``a`` is scaled by ``S = C / max(a)`` with
``C <= 10**9`` chosen so that OR-Tools' internal cost scaling cannot overflow.  The result is
optimal for the rounded costs, hence within ``n*k*max(a)/C`` of the real optimum (6e-6 for
2,000 papers, k=3, a <= 1).

``prune_top=N`` keeps only each paper's N best listed pairs as explicit arcs; pruned pairs are still
allowed but valued 0 by the optimiser (if the realisation happens to use one, its real affinity is
reported).  The result is then optimal for that reduced problem only (``optimal=False`` when
anything was pruned).

"fair" objective and its guarantee
==================================
Max-min with a *sum* per paper is NP-hard in general (Garg et al. 2010, as cited by PeerReview4All),
so no flow formulation is exact:

* Small problems (at most ``fair_exact_max_pairs`` allowed pairs, default 3,000): exact two-phase
  integer program with OR-Tools CP-SAT on the scaled integer affinities: maximise the minimum
  ``T*``, then maximise the total subject to every paper >= ``T*``.  Exact for the scaled values
  (each paper sum within ``k/(2*S')`` of the real one, ``S' = 10**6/max(a)``); ``optimal=True``.
* Otherwise, and when CP-SAT does not prove optimality within ``time_limit``: a
  PeerReview4All-style threshold algorithm on flows.  For each kappa in 1..k, binary-search the
  largest threshold ``tau_kappa`` such that every paper can get at least kappa reviewers with
  affinity >= ``tau_kappa`` (a flow: "strong" arcs straight from the paper, the other k-kappa
  through a per-paper "weak" node of capacity k-kappa, the zero pool hanging off the weak node);
  at that threshold a min-cost flow maximises the total.  Each feasibility test is exact (zero pool
  realised, else dense fallback), so the binary search is sound.  Then ``fair_iterations`` rounds of
  multiplicative weights re-solve ``max sum_i w_i * s_i`` (one min-cost flow each), moving weight
  to the papers that came out worst.  The best candidate (by minimum, then total; the plain
  max-total solution is a candidate too) is returned.

  Guarantee: its minimum is ``>= max_kappa kappa*tau_kappa >= OPT_maxmin / k`` (the optimal
  assignment gives every paper a reviewer with affinity >= ``OPT_maxmin/k``, so kappa=1 is
  feasible at that threshold) and ``>=`` the minimum of the max-total assignment.  Its total is
  *not* claimed maximal among assignments reaching that minimum.  ``fair_upper_bound`` (min over
  papers of the sum of its k best affinities, and the optimal total / n) bounds ``OPT_maxmin``
  from above, so every result carries an a-posteriori gap; ``optimal=True`` only when CP-SAT
  proved both phases, or when the max-total assignment already reaches the bound (then it is
  optimal for both phases).  On the benchmark (2,000 x 3,000) the gap is 0.8%.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

__all__ = [
    "AssignmentResult",
    "InfeasibleAssignment",
    "InvalidProblem",
    "main",
    "solve",
    "solve_arrays",
    "validate_problem",
]

OBJECTIVES = ("total", "fair")
_PROBLEM_KEYS = {"papers", "reviewers", "reviewers_per_paper", "affinity", "conflicts", "objective"}
_MAX_COST = 10**9
_MAX_LISTED_ERRORS = 10
_MWU_STEP = 0.5  # tuned on the benchmark instance; larger steps oscillate
_MWU_MAX_WEIGHT = 50.0


class InvalidProblem(ValueError):
    """The input is malformed; ``errors`` lists every problem found (message shows the first ones)."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        shown = "; ".join(self.errors[:_MAX_LISTED_ERRORS])
        more = len(self.errors) - _MAX_LISTED_ERRORS
        super().__init__(f"invalid problem: {shown}" + (f"; and {more} more" if more > 0 else ""))


class InfeasibleAssignment(ValueError):
    """No assignment satisfies the constraints; the message says why in plain words."""


@dataclass(frozen=True)
class AssignmentResult:
    """Lower-level result: assigned pairs as index arrays (sorted by paper, then reviewer)."""

    paper: np.ndarray
    reviewer: np.ndarray
    paper_affinity: np.ndarray
    total_affinity: float
    min_paper_affinity: float
    objective: str
    optimal: bool
    method: str
    fair_upper_bound: float | None = None


# --------------------------------------------------------------------------------------------
# Normalised instance
# --------------------------------------------------------------------------------------------


@dataclass
class _Instance:
    n: int
    m: int
    k: int
    load: np.ndarray  # int64 (m,)
    # every listed pair (affinity > 0, not conflicted, reviewer load > 0), sorted by key
    key: np.ndarray
    p: np.ndarray
    r: np.ndarray
    v: np.ndarray
    explicit: np.ndarray  # bool mask over listed pairs that become explicit arcs (pruning)
    conflict_key: np.ndarray  # sorted unique keys of conflicts with reviewers of load > 0
    paper_names: Sequence | None
    reviewer_names: Sequence | None

    @property
    def pruned(self) -> bool:
        return not bool(self.explicit.all())

    def pname(self, i: int) -> str:
        return str(self.paper_names[i]) if self.paper_names is not None else f"#{i}"

    def rname(self, j: int) -> str:
        return str(self.reviewer_names[j]) if self.reviewer_names is not None else f"#{j}"

    def allowed_per_paper(self) -> np.ndarray:
        usable = int(np.count_nonzero(self.load > 0))
        cp = self.conflict_key // self.m
        return usable - np.bincount(cp, minlength=self.n)

    def allowed_per_reviewer(self) -> np.ndarray:
        cr = self.conflict_key % self.m
        return np.where(self.load > 0, self.n - np.bincount(cr, minlength=self.m), 0)

    def values_of(self, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        keys = p.astype(np.int64) * self.m + r
        idx = np.searchsorted(self.key, keys)
        idx = np.minimum(idx, max(self.key.size - 1, 0))
        hit = self.key[idx] == keys if self.key.size else np.zeros(keys.size, bool)
        return np.where(hit, self.v[idx] if self.key.size else 0.0, 0.0)


def _as_int_array(values, name: str, errors: list[str]) -> np.ndarray:
    arr = np.asarray(values)
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        errors.append(f"{name} must be a 1-d array of integers")
        return np.zeros(0, np.int64)
    return arr.astype(np.int64)


def _build_instance(
    n_papers: int,
    max_load,
    k: int,
    affinity_paper,
    affinity_reviewer,
    affinity_value,
    conflict_paper,
    conflict_reviewer,
    prune_top: int | None,
    paper_names: Sequence | None,
    reviewer_names: Sequence | None,
) -> _Instance:
    errors: list[str] = []
    if isinstance(n_papers, bool) or not isinstance(n_papers, (int, np.integer)) or n_papers < 0:
        errors.append("n_papers must be a non-negative integer")
        n_papers = 0
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        errors.append("reviewers_per_paper must be an integer >= 1")
        k = 1
    if prune_top is not None and (isinstance(prune_top, bool) or not isinstance(prune_top, (int, np.integer))
                                  or prune_top < 1):
        errors.append("prune_top must be an integer >= 1 or None")
    load = _as_int_array(max_load, "max_load", errors)
    if load.size and load.min() < 0:
        errors.append(f"max_load must be >= 0 (reviewer {int(np.argmin(load))} has {int(load.min())})")
    n, m = int(n_papers), int(load.size)
    ap = _as_int_array(affinity_paper, "affinity_paper", errors)
    ar = _as_int_array(affinity_reviewer, "affinity_reviewer", errors)
    av = np.asarray(affinity_value, dtype=float).ravel() if np.size(affinity_value) else np.zeros(0)
    if not (ap.size == ar.size == av.size):
        errors.append("affinity_paper, affinity_reviewer and affinity_value must have the same length")
    cp = _as_int_array(conflict_paper, "conflict_paper", errors)
    cr = _as_int_array(conflict_reviewer, "conflict_reviewer", errors)
    if cp.size != cr.size:
        errors.append("conflict_paper and conflict_reviewer must have the same length")
    if errors:
        raise InvalidProblem(errors)
    for name, arr, hi in (("affinity_paper", ap, n), ("affinity_reviewer", ar, m),
                          ("conflict_paper", cp, n), ("conflict_reviewer", cr, m)):
        if arr.size and (arr.min() < 0 or arr.max() >= hi):
            errors.append(f"{name} has an index outside 0..{hi - 1}")
    if av.size and not np.isfinite(av).all():
        errors.append("affinity values must be finite numbers")
    elif av.size and av.min() < 0:
        errors.append("affinity values must be >= 0 (use a conflict to forbid a pair)")
    if errors:
        raise InvalidProblem(errors)

    key = ap * m + ar
    order = np.argsort(key, kind="stable")
    key, ap, ar, av = key[order], ap[order], ar[order], av[order]
    if key.size > 1 and (dup := np.flatnonzero(key[1:] == key[:-1])).size:
        i, j = int(ap[dup[0]]), int(ar[dup[0]])
        names = (paper_names[i] if paper_names is not None else i,
                 reviewer_names[j] if reviewer_names is not None else j)
        raise InvalidProblem([f"affinity for pair ({names[0]}, {names[1]}) is given {dup.size + 1} times"
                              if dup.size == 1 else
                              f"{dup.size} affinity pairs are given more than once, e.g. ({names[0]}, {names[1]})"])
    ckey = np.unique(cp * m + cr)
    ckey = ckey[load[ckey % m] > 0] if ckey.size else ckey
    keep = (av > 0) & (load[ar] > 0) if ar.size else np.zeros(0, bool)
    if ckey.size and key.size:
        keep &= ~_isin_sorted(key, ckey)
    key, ap, ar, av = key[keep], ap[keep], ar[keep], av[keep]
    explicit = np.ones(key.size, bool)
    if prune_top is not None and key.size:
        # rank of each pair within its paper by descending affinity (ties: lower reviewer index)
        by = np.lexsort((ar, -av, ap))
        starts = np.searchsorted(ap[by], ap[by], side="left")
        rank = np.arange(by.size) - starts
        explicit[by[rank >= prune_top]] = False
    return _Instance(n, m, int(k), load, key, ap, ar, av, explicit, ckey, paper_names, reviewer_names)


def _isin_sorted(keys: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if sorted_set.size == 0 or keys.size == 0:
        return np.zeros(keys.size, bool)
    idx = np.minimum(np.searchsorted(sorted_set, keys), sorted_set.size - 1)
    return sorted_set[idx] == keys


# --------------------------------------------------------------------------------------------
# Infeasibility diagnosis
# --------------------------------------------------------------------------------------------


def _names(inst: _Instance, idx, name_of, limit: int = 5) -> str:
    idx = [int(i) for i in idx]
    shown = ", ".join(name_of(i) for i in idx[:limit])
    return shown + (f" (and {len(idx) - limit} more)" if len(idx) > limit else "")


def _check_obviously_infeasible(inst: _Instance) -> None:
    """Cheap necessary conditions, so that the common mistakes get the plainest message."""
    n, k = inst.n, inst.k
    allowed = inst.allowed_per_paper()
    short = np.flatnonzero(allowed < k)
    if short.size:
        i = int(short[0])
        msg = (f"paper {inst.pname(i)} has only {int(allowed[i])} reviewer{'s' if allowed[i] != 1 else ''} "
               f"without a conflict (and with max_load > 0), needs {k}")
        if short.size > 1:
            msg += f"; {short.size - 1} more paper(s) have the same problem: {_names(inst, short[1:], inst.pname)}"
        raise InfeasibleAssignment(msg)
    need = n * k
    capacity = int(inst.load.sum())
    if capacity < need:
        raise InfeasibleAssignment(
            f"total reviewer capacity {capacity} is less than the {need} reviews needed ({n} papers x {k} reviewers)")
    usable = int(np.minimum(inst.load, inst.allowed_per_reviewer()).sum())
    if usable < need:
        raise InfeasibleAssignment(
            f"reviewers can take at most {usable} reviews (a reviewer reviews a paper at most once and never a "
            f"conflicted one), fewer than the {need} needed ({n} papers x {k} reviewers)")


def _dense_allowed_pairs(inst: _Instance, exclude_keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    allowed = np.broadcast_to(inst.load > 0, (inst.n, inst.m)).copy()
    flat = allowed.reshape(-1)
    if inst.conflict_key.size:
        flat[inst.conflict_key] = False
    if exclude_keys is not None and exclude_keys.size:
        flat[exclude_keys] = False
    p, r = np.nonzero(allowed)
    return p.astype(np.int64), r.astype(np.int64)


def _diagnose(inst: _Instance) -> str:
    """Hall-type explanation from a minimum cut of the dense feasibility network."""
    _check_obviously_infeasible(inst)
    n, m, k = inst.n, inst.m, inst.k
    p, r = _dense_allowed_pairs(inst)
    src, snk = n + m, n + m + 1
    f = max_flow.SimpleMaxFlow()
    tails = np.concatenate([np.full(n, src), p, n + np.arange(m)]).astype(np.int32)
    heads = np.concatenate([np.arange(n), n + r, np.full(m, snk)]).astype(np.int32)
    caps = np.concatenate([np.full(n, k), np.ones(p.size, np.int64), inst.load]).astype(np.int64)
    f.add_arcs_with_capacity(tails, heads, caps)
    f.solve(src, snk)
    side = np.asarray(f.get_source_side_min_cut(), dtype=np.int64)
    papers = np.sort(side[side < n])
    if f.optimal_flow() >= n * k or papers.size == 0:  # pragma: no cover - callers only come here when infeasible
        return "no assignment satisfies the constraints"
    in_set = np.zeros(n, bool)
    in_set[papers] = True
    deg = np.bincount(r[in_set[p]], minlength=m)
    can = int(np.minimum(deg, inst.load).sum())
    what = "paper" if papers.size == 1 else f"the {papers.size} papers"
    return (f"{what} {_names(inst, papers, inst.pname)} need{'s' if papers.size == 1 else ''} "
            f"{papers.size * k} reviews in total, but the reviewers allowed for "
            f"{'it' if papers.size == 1 else 'them'} (no conflict, within max_load) can give at most {can}")


# --------------------------------------------------------------------------------------------
# Flow networks
# --------------------------------------------------------------------------------------------


@dataclass
class _Flow:
    p: np.ndarray
    r: np.ndarray
    method: str


def _scaled_costs(inst: _Instance, values: np.ndarray, num_nodes: int) -> np.ndarray:
    vmax = float(values.max()) if values.size else 0.0
    if vmax <= 0:
        return np.zeros(values.size, np.int64)
    # OR-Tools multiplies costs by (num_nodes + 1) internally and sums cost * flow: both must fit int64.
    cmax = min(_MAX_COST, (2**62) // ((num_nodes + 1) * max(inst.n * inst.k, 1)))
    # values / vmax first: cmax / vmax overflows for subnormal affinities
    return np.rint(values / vmax * cmax).astype(np.int64)


def _solve_structured(inst: _Instance, strong: np.ndarray, kappa: int, with_costs: bool,
                      zero_pool: bool = True, values: np.ndarray | None = None) -> _Flow | None:
    """Max-total (or feasibility) assignment where every paper gets >= kappa reviewers among its
    ``strong`` explicit pairs.  Returns None when no such assignment exists.  Exact: the zero pool
    result is realised or we fall back to the dense network.  ``values`` replaces the listed
    affinities as arc profits (weighted objectives); pairs outside the list still count as 0."""
    if zero_pool:
        got = _solve_network(inst, strong, kappa, with_costs, dense=False, values=values)
        if got is None:
            return None
        if got is not False:
            return got
    return _solve_network(inst, strong, kappa, with_costs, dense=True, values=values) or None


def _solve_network(inst: _Instance, strong: np.ndarray, kappa: int, with_costs: bool, dense: bool,
                   values: np.ndarray | None = None):
    """One min-cost-flow solve.  Returns _Flow, None (infeasible) or False (pool not realisable).

    Nodes: paper i, weak node n+i, reviewer 2n+j, pool 2n+m, sink 2n+m+1."""
    n, m, k = inst.n, inst.m, inst.k
    ex = np.flatnonzero(inst.explicit)
    ep, er, ev = inst.p[ex], inst.r[ex], (inst.v if values is None else values)[ex]
    is_strong = strong[ex]
    weak_cap = k - kappa
    if weak_cap == 0:
        ep, er, ev, is_strong = ep[is_strong], er[is_strong], ev[is_strong], is_strong[is_strong]
    pool, snk = 2 * n + m, 2 * n + m + 1
    num_nodes = 2 * n + m + 2
    ecost = -_scaled_costs(inst, ev, num_nodes) if with_costs else np.zeros(ev.size, np.int64)

    tails = [np.where(is_strong, ep, n + ep)]
    heads = [2 * n + er]
    caps = [np.ones(ep.size, np.int64)]
    costs = [ecost]
    if weak_cap > 0:
        tails.append(np.arange(n))
        heads.append(n + np.arange(n))
        caps.append(np.full(n, weak_cap, np.int64))
        costs.append(np.zeros(n, np.int64))
        if dense:
            zp, zr = _dense_allowed_pairs(inst, exclude_keys=inst.key[ex])
            tails.append(n + zp)
            heads.append(2 * n + zr)
            caps.append(np.ones(zp.size, np.int64))
            costs.append(np.zeros(zp.size, np.int64))
        else:
            # Capacities tightened to what each paper/reviewer could really take from the pool,
            # which makes the relaxation closer to reality and the realisation more likely.
            zero_elig = inst.allowed_per_paper() - np.bincount(ep, minlength=n)
            tails.append(n + np.arange(n))
            heads.append(np.full(n, pool))
            caps.append(np.clip(zero_elig, 0, weak_cap).astype(np.int64))
            costs.append(np.zeros(n, np.int64))
            hub_cap = np.minimum(inst.load, inst.allowed_per_reviewer() - np.bincount(er, minlength=m))
            tails.append(np.full(m, pool))
            heads.append(2 * n + np.arange(m))
            caps.append(np.maximum(hub_cap, 0).astype(np.int64))
            costs.append(np.zeros(m, np.int64))
    tails.append(2 * n + np.arange(m))
    heads.append(np.full(m, snk))
    caps.append(inst.load.astype(np.int64))
    costs.append(np.zeros(m, np.int64))

    f = min_cost_flow.SimpleMinCostFlow()
    f.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32), np.concatenate(heads).astype(np.int32),
        np.concatenate(caps), np.concatenate(costs))
    supplies = np.zeros(num_nodes, np.int64)
    supplies[:n] = k
    supplies[snk] = -n * k
    f.set_nodes_supplies(np.arange(num_nodes, dtype=np.int32), supplies)
    status = f.solve()
    if status == f.INFEASIBLE:
        return None
    if status != f.OPTIMAL:  # pragma: no cover - only on cost/capacity overflow, which _cost_scale prevents
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = f.flows(np.arange(f.num_arcs(), dtype=np.int32))
    used = flows[: ep.size] > 0
    xp, xr = ep[used], er[used]
    if weak_cap == 0:
        return _Flow(xp, xr, "flow")
    if dense:
        start = ep.size + n
        zused = flows[start: start + zp.size] > 0
        return _Flow(np.concatenate([xp, zp[zused]]), np.concatenate([xr, zr[zused]]), "dense flow")
    demand = flows[ep.size + n: ep.size + 2 * n].astype(np.int64)
    if not demand.any():
        return _Flow(xp, xr, "flow")
    extra = _realise(inst, xp, xr, demand)
    if extra is None:
        return False
    return _Flow(np.concatenate([xp, extra[0]]), np.concatenate([xr, extra[1]]), "flow + zero pool")


def _realise(inst: _Instance, xp: np.ndarray, xr: np.ndarray, demand: np.ndarray):
    """Give paper i ``demand[i]`` further distinct reviewers it is allowed (no conflict, not already
    assigned) within the reviewers' spare capacity.  Max-flow over a window of candidate reviewers
    per paper, doubled until it covers everything.  None if impossible."""
    m = inst.m
    spare = inst.load - np.bincount(xr, minlength=m)
    total = int(demand.sum())
    if total > int(spare.sum()):
        return None
    rev = np.flatnonzero(spare > 0)
    need = np.flatnonzero(demand > 0)
    q = rev.size
    forbidden = np.unique(np.concatenate([inst.conflict_key, xp * m + xr]))
    nforb = np.bincount(forbidden // m, minlength=inst.n)[need]
    d = demand[need]
    extra = 4
    while True:
        width = np.minimum(q, d + nforb + extra)
        offset = np.cumsum(width) - width
        owner = np.repeat(np.arange(need.size), width)
        # consecutive windows spread the papers over the reviewers round-robin
        pos = (np.repeat(offset % max(q, 1), width) + np.arange(int(width.sum())) - np.repeat(offset, width)) % q
        cp, cr = need[owner], rev[pos]
        ok = ~_isin_sorted(cp * m + cr, forbidden)
        owner, pos, cp, cr = owner[ok], pos[ok], cp[ok], cr[ok]
        src, snk = need.size + q, need.size + q + 1
        f = max_flow.SimpleMaxFlow()
        tails = np.concatenate([np.full(need.size, src), owner, need.size + np.arange(q)]).astype(np.int32)
        heads = np.concatenate([np.arange(need.size), need.size + pos, np.full(q, snk)]).astype(np.int32)
        caps = np.concatenate([d, np.ones(owner.size, np.int64), spare[rev]]).astype(np.int64)
        f.add_arcs_with_capacity(tails, heads, caps)
        f.solve(src, snk)
        if f.optimal_flow() == total:
            flows = f.flows(np.arange(need.size, need.size + owner.size, dtype=np.int32))
            used = flows > 0
            return cp[used], cr[used]
        if (width >= q).all():
            return None
        extra *= 4


# --------------------------------------------------------------------------------------------
# Objectives
# --------------------------------------------------------------------------------------------


def _result(inst: _Instance, fl: _Flow, objective: str, optimal: bool, method: str | None = None,
            upper: float | None = None) -> AssignmentResult:
    order = np.lexsort((fl.r, fl.p))
    p, r = fl.p[order].astype(np.int64), fl.r[order].astype(np.int64)
    vals = inst.values_of(p, r)
    per_paper = np.bincount(p, weights=vals, minlength=inst.n).astype(float)
    return AssignmentResult(
        paper=p, reviewer=r, paper_affinity=per_paper, total_affinity=float(vals.sum()),
        min_paper_affinity=float(per_paper.min()) if inst.n else 0.0, objective=objective,
        optimal=optimal, method=method or fl.method, fair_upper_bound=upper)


def _solve_total(inst: _Instance, zero_pool: bool) -> AssignmentResult:
    _check_obviously_infeasible(inst)
    fl = _solve_structured(inst, np.ones(inst.key.size, bool), 0, True, zero_pool)
    if fl is None:
        raise InfeasibleAssignment(_diagnose(inst))
    return _result(inst, fl, "total", optimal=not inst.pruned)


def _fair_upper_bound(inst: _Instance, best_total: float | None) -> float:
    k = inst.k
    by = np.lexsort((-inst.v, inst.p))
    starts = np.searchsorted(inst.p[by], inst.p[by], side="left")
    top = (np.arange(by.size) - starts) < k
    bound = float(np.bincount(inst.p[by][top], weights=inst.v[by][top], minlength=inst.n).min())
    if best_total is not None:
        bound = min(bound, best_total / inst.n)
    return bound


def _better(a: AssignmentResult, b: AssignmentResult | None) -> bool:
    if b is None:
        return True
    tol = 1e-9 * max(1.0, abs(b.min_paper_affinity))
    if a.min_paper_affinity > b.min_paper_affinity + tol:
        return True
    return a.min_paper_affinity >= b.min_paper_affinity - tol and a.total_affinity > b.total_affinity + tol


def _solve_fair(inst: _Instance, zero_pool: bool, exact_max_pairs: int, time_limit: float,
                fair_iterations: int) -> AssignmentResult:
    base = _solve_total(inst, zero_pool)
    upper = _fair_upper_bound(inst, None if inst.pruned else base.total_affinity)
    best = _result(inst, _Flow(base.paper, base.reviewer, "flow"), "fair", False, "max-total flow", upper)
    n_pairs = int(inst.allowed_per_paper().sum())
    if n_pairs <= exact_max_pairs:
        exact = _solve_fair_exact(inst, time_limit)
        if exact is not None:
            res, proven = exact
            if proven:
                return _result(inst, res, "fair", optimal=True, method="CP-SAT exact", upper=upper)
            cand = _result(inst, res, "fair", False, "CP-SAT (time limit)", upper)
            if _better(cand, best):
                best = cand

    tol = 1e-9 * max(1.0, abs(upper))
    levels = np.unique(inst.v[inst.explicit])
    for kappa in range(1, inst.k + 1):
        if best.min_paper_affinity >= upper - tol:
            break
        cand = _threshold_candidate(inst, kappa, levels, zero_pool, upper)
        if cand is not None and _better(cand, best):
            best = cand

    # Multiplicative weights: re-solve max sum_i w_i * s_i, shifting weight to poorly served papers.
    # Each step is one min-cost flow; it can only improve on the guaranteed candidates above.
    all_strong = np.ones(inst.key.size, bool)
    weights = np.ones(inst.n)
    vmax = float(inst.v.max()) if inst.v.size else 1.0
    for _ in range(fair_iterations):
        if best.min_paper_affinity >= upper - tol:
            break
        fl = _solve_structured(inst, all_strong, 0, True, zero_pool, values=inst.v * weights[inst.p])
        cand = _result(inst, fl, "fair", False, "weighted max-total flow", upper)
        if _better(cand, best):
            best = cand
        s = cand.paper_affinity
        weights *= np.exp(-_MWU_STEP * (s - s.mean()) / vmax)
        weights = np.minimum(weights / weights.mean(), _MWU_MAX_WEIGHT)

    proven_min = best.min_paper_affinity >= upper - tol
    # Reaching the bound with the max-total solution proves both phases: nothing has a larger total.
    optimal = proven_min and not inst.pruned and best.total_affinity >= base.total_affinity - tol
    return AssignmentResult(**{**best.__dict__, "optimal": optimal,
                               "method": best.method + (" (max-min proven by upper bound)" if proven_min else "")})


def _threshold_candidate(inst: _Instance, kappa: int, levels: np.ndarray, zero_pool: bool,
                         upper: float) -> AssignmentResult | None:
    """Largest threshold tau such that every paper can get >= kappa reviewers with affinity >= tau,
    then the max-total assignment with that structure.  Feasibility is monotone in tau."""
    strong = np.zeros(inst.key.size, bool)

    def feasible(idx: int) -> bool:
        strong[:] = inst.v >= levels[idx]
        return _solve_structured(inst, strong, kappa, False, zero_pool) is not None

    if levels.size == 0 or not feasible(0):
        return None
    lo, hi = 0, levels.size - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if feasible(mid):
            lo = mid
        else:
            hi = mid - 1
    strong[:] = inst.v >= levels[lo]
    fl = _solve_structured(inst, strong, kappa, True, zero_pool)
    return _result(inst, fl, "fair", False, f"threshold flow (kappa={kappa}, tau={levels[lo]:.6g})", upper)


def _solve_fair_exact(inst: _Instance, time_limit: float):
    """Two-phase CP-SAT on all allowed pairs; returns (_Flow, proven) or None."""
    from ortools.sat.python import cp_model

    p, r = _dense_allowed_pairs(inst)
    vals = inst.values_of(p, r)
    vals = np.where(_isin_sorted(p * inst.m + r, inst.key[inst.explicit]), vals, 0.0)
    vmax = float(vals.max()) if vals.size else 0.0
    c = (np.rint(vals / vmax * 10**6) if vmax > 0 else np.zeros(vals.size)).astype(np.int64).tolist()
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(p.size)]
    by_paper: list[list[int]] = [[] for _ in range(inst.n)]
    by_reviewer: list[list[int]] = [[] for _ in range(inst.m)]
    for idx, (i, j) in enumerate(zip(p.tolist(), r.tolist(), strict=True)):
        by_paper[i].append(idx)
        by_reviewer[j].append(idx)
    for i in range(inst.n):
        model.add(sum(x[t] for t in by_paper[i]) == inst.k)
    for j in range(inst.m):
        if by_reviewer[j]:
            model.add(sum(x[t] for t in by_reviewer[j]) <= int(inst.load[j]))
    sums = [sum(c[t] * x[t] for t in by_paper[i]) for i in range(inst.n)]
    floor = model.new_int_var(0, inst.k * 10**6 + inst.k, "floor")
    for s in sums:
        model.add(s >= floor)
    model.maximize(floor)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = 1  # deterministic results for the same input
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:  # pragma: no cover - feasibility is established before
        raise InfeasibleAssignment(_diagnose(inst))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    first = np.array([solver.boolean_value(v) for v in x], bool)
    if status != cp_model.OPTIMAL:
        return _Flow(p[first], r[first], "CP-SAT"), False
    best_floor = int(solver.value(floor))
    model.clear_objective()
    model.add(floor >= best_floor)
    model.maximize(sum(ci * xi for ci, xi in zip(c, x, strict=True)))
    for xi, val in zip(x, first.tolist(), strict=True):
        model.add_hint(xi, val)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - the hint is feasible
        return _Flow(p[first], r[first], "CP-SAT"), False
    second = np.array([solver.boolean_value(v) for v in x], bool)
    return _Flow(p[second], r[second], "CP-SAT"), status == cp_model.OPTIMAL


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def solve_arrays(
    n_papers: int,
    max_load: Sequence[int] | np.ndarray,
    reviewers_per_paper: int,
    affinity_paper: Sequence[int] | np.ndarray = (),
    affinity_reviewer: Sequence[int] | np.ndarray = (),
    affinity_value: Sequence[float] | np.ndarray = (),
    conflict_paper: Sequence[int] | np.ndarray = (),
    conflict_reviewer: Sequence[int] | np.ndarray = (),
    *,
    objective: str = "total",
    prune_top: int | None = None,
    zero_pool: bool = True,
    fair_exact_max_pairs: int = 3000,
    fair_iterations: int = 30,
    time_limit: float = 10.0,
    paper_names: Sequence | None = None,
    reviewer_names: Sequence | None = None,
) -> AssignmentResult:
    """Solve on index arrays: papers are ``0..n_papers-1``, reviewers ``0..len(max_load)-1``.

    ``zero_pool=False`` builds an arc for every allowed pair (the slow textbook network; kept as a
    reference).  ``fair_exact_max_pairs`` / ``time_limit`` bound the exact CP-SAT path of the fair
    objective, ``fair_iterations`` the multiplicative-weights refinement of its flow heuristic.
    ``prune_top`` keeps each paper's N best affinities as candidates (see the module docstring).
    ``paper_names`` / ``reviewer_names`` are only used in error messages.  Raises
    :class:`InvalidProblem` or :class:`InfeasibleAssignment`.
    """
    if objective not in OBJECTIVES:
        raise InvalidProblem([f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}"])
    inst = _build_instance(n_papers, max_load, reviewers_per_paper, affinity_paper, affinity_reviewer,
                           affinity_value, conflict_paper, conflict_reviewer, prune_top, paper_names,
                           reviewer_names)
    if inst.n == 0:
        empty = np.zeros(0, np.int64)
        return AssignmentResult(empty, empty, np.zeros(0), 0.0, 0.0, objective, True, "empty")
    if objective == "total":
        return _solve_total(inst, zero_pool)
    return _solve_fair(inst, zero_pool, fair_exact_max_pairs, time_limit, fair_iterations)


def _is_id(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse(problem: Any) -> tuple[list, list, dict]:
    """Validate and convert the JSON shape into solve_arrays() arguments."""
    if not isinstance(problem, dict):
        raise InvalidProblem(["the problem must be a JSON object"])
    errors: list[str] = []
    unknown = sorted(set(problem) - _PROBLEM_KEYS)
    if unknown:
        errors.append(f"unknown key(s): {', '.join(map(str, unknown))}")
    for key in ("papers", "reviewers", "reviewers_per_paper"):
        if key not in problem:
            errors.append(f"missing key {key!r}")
    papers = problem.get("papers", [])
    reviewers = problem.get("reviewers", [])
    k = problem.get("reviewers_per_paper", 1)
    affinity = problem.get("affinity", [])
    conflicts = problem.get("conflicts", [])
    objective = problem.get("objective", "total")
    if objective not in OBJECTIVES:
        errors.append(f"objective must be \"total\" or \"fair\", not {objective!r}")
    if not _is_count(k) or k < 1:
        errors.append(f"reviewers_per_paper must be an integer >= 1, not {k!r}")

    paper_ids: list = []
    paper_index: dict = {}
    if not isinstance(papers, list):
        errors.append("papers must be a list of ids")
        papers = []
    for pos, pid in enumerate(papers):
        if not _is_id(pid):
            errors.append(f"papers[{pos}] must be a string or integer id, not {pid!r}")
        elif pid in paper_index:
            errors.append(f"duplicate paper id {pid!r}")
        else:
            paper_index[pid] = len(paper_ids)
            paper_ids.append(pid)

    reviewer_ids: list = []
    reviewer_index: dict = {}
    loads: list[int] = []
    if not isinstance(reviewers, list):
        errors.append("reviewers must be a list of {\"id\": ..., \"max_load\": ...} objects")
        reviewers = []
    for pos, rev in enumerate(reviewers):
        if not isinstance(rev, dict) or "id" not in rev or "max_load" not in rev:
            errors.append(f"reviewers[{pos}] must be an object with \"id\" and \"max_load\"")
            continue
        rid, load = rev["id"], rev["max_load"]
        extra = sorted(set(rev) - {"id", "max_load"})
        if extra:
            errors.append(f"reviewer {rid!r} has unknown key(s): {', '.join(map(str, extra))}")
        if not _is_id(rid):
            errors.append(f"reviewers[{pos}].id must be a string or integer, not {rid!r}")
            continue
        if rid in reviewer_index:
            errors.append(f"duplicate reviewer id {rid!r}")
            continue
        if not _is_count(load) or load < 0:
            errors.append(f"reviewer {rid!r} has max_load {load!r}; it must be an integer >= 0")
            load = 0
        reviewer_index[rid] = len(reviewer_ids)
        reviewer_ids.append(rid)
        loads.append(load)

    ap: list[int] = []
    ar: list[int] = []
    av: list[float] = []
    seen: set = set()
    if not isinstance(affinity, list):
        errors.append("affinity must be a list of [paper, reviewer, value] triples")
        affinity = []
    for pos, item in enumerate(affinity):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            errors.append(f"affinity[{pos}] must be [paper, reviewer, value], not {item!r}")
            continue
        pid, rid, value = item
        i = paper_index.get(pid) if _is_id(pid) else None
        j = reviewer_index.get(rid) if _is_id(rid) else None
        if i is None:
            errors.append(f"affinity[{pos}] names unknown paper {pid!r}")
        if j is None:
            errors.append(f"affinity[{pos}] names unknown reviewer {rid!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            errors.append(f"affinity[{pos}] value must be a finite number, not {value!r}")
            continue
        if value < 0:
            errors.append(f"affinity for ({pid!r}, {rid!r}) is negative ({value}); use a conflict to forbid a pair")
            continue
        if i is None or j is None:
            continue
        if (i, j) in seen:
            errors.append(f"affinity for ({pid!r}, {rid!r}) is given more than once")
            continue
        seen.add((i, j))
        ap.append(i)
        ar.append(j)
        av.append(float(value))

    cp: list[int] = []
    cr: list[int] = []
    if not isinstance(conflicts, list):
        errors.append("conflicts must be a list of [paper, reviewer] pairs")
        conflicts = []
    for pos, item in enumerate(conflicts):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            errors.append(f"conflicts[{pos}] must be [paper, reviewer], not {item!r}")
            continue
        pid, rid = item
        i = paper_index.get(pid) if _is_id(pid) else None
        j = reviewer_index.get(rid) if _is_id(rid) else None
        if i is None:
            errors.append(f"conflicts[{pos}] names unknown paper {pid!r}")
        if j is None:
            errors.append(f"conflicts[{pos}] names unknown reviewer {rid!r}")
        if i is not None and j is not None:
            cp.append(i)
            cr.append(j)
    if errors:
        raise InvalidProblem(errors)
    arrays = {
        "n_papers": len(paper_ids), "max_load": np.asarray(loads, np.int64), "reviewers_per_paper": k,
        "affinity_paper": np.asarray(ap, np.int64), "affinity_reviewer": np.asarray(ar, np.int64),
        "affinity_value": np.asarray(av, float), "conflict_paper": np.asarray(cp, np.int64),
        "conflict_reviewer": np.asarray(cr, np.int64), "objective": objective,
    }
    return paper_ids, reviewer_ids, arrays


def validate_problem(problem: Any) -> None:
    """Raise :class:`InvalidProblem` listing everything wrong with ``problem`` (JSON shape)."""
    _parse(problem)


def solve(problem: dict, *, prune_top: int | None = None, time_limit: float = 10.0) -> dict:
    """Solve the JSON-shaped problem; returns ``{"assignments", "total_affinity", "min_paper_affinity"}``.

    ``min_paper_affinity`` is 0.0 when there are no papers.  Raises :class:`InvalidProblem` or
    :class:`InfeasibleAssignment` (both ``ValueError``).
    """
    paper_ids, reviewer_ids, arrays = _parse(problem)
    res = solve_arrays(**arrays, prune_top=prune_top, time_limit=time_limit,
                       paper_names=paper_ids, reviewer_names=reviewer_ids)
    pairs = zip(res.paper.tolist(), res.reviewer.tolist(), strict=True)
    return {
        "assignments": [[paper_ids[i], reviewer_ids[j]] for i, j in pairs],
        "total_affinity": res.total_affinity,
        "min_paper_affinity": res.min_paper_affinity,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m reviews.assignment --input problem.json --output result.json``.

    Exit codes: 0 solved, 1 infeasible, 2 invalid input or unreadable file; messages go to stderr.
    """
    parser = argparse.ArgumentParser(prog="python -m reviews.assignment", description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="problem JSON file ('-' for standard input)")
    parser.add_argument("--output", default="-", help="result JSON file ('-' for standard output, the default)")
    parser.add_argument("--prune-top", type=int, default=None, metavar="N",
                        help="keep only each paper's N best affinities as candidates (faster, may lose optimality)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds for the exact fair solver")
    args = parser.parse_args(argv)
    try:
        if args.input == "-":
            problem = json.load(sys.stdin)
        else:
            with open(args.input, encoding="utf-8") as fh:
                problem = json.load(fh)
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"error: cannot read problem from {args.input}: {exc}", file=sys.stderr)
        return 2
    try:
        result = solve(problem, prune_top=args.prune_top, time_limit=args.time_limit)
    except InvalidProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InfeasibleAssignment as exc:
        print(f"error: infeasible: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(result, ensure_ascii=False)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            print(f"error: cannot write result to {args.output}: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
