"""Tests for reviews.assignment (pure Python; run with ``-p no:django``)."""

import itertools
import json
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from reviews.assignment import (
    InfeasibleAssignment,
    InvalidProblem,
    main,
    solve,
    solve_arrays,
    validate_problem,
)

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def problem(papers, reviewers, k, affinity=(), conflicts=(), objective="total"):
    return {
        "papers": list(papers),
        "reviewers": [{"id": rid, "max_load": load} for rid, load in reviewers],
        "reviewers_per_paper": k,
        "affinity": [list(a) for a in affinity],
        "conflicts": [list(c) for c in conflicts],
        "objective": objective,
    }


def check_constraints(prob, result):
    k = prob["reviewers_per_paper"]
    loads = {r["id"]: r["max_load"] for r in prob["reviewers"]}
    conflicts = {tuple(c) for c in prob.get("conflicts", [])}
    aff = {(p, r): v for p, r, v in prob.get("affinity", [])}
    pairs = [tuple(a) for a in result["assignments"]]
    assert len(pairs) == len(set(pairs)), "a reviewer is assigned twice to the same paper"
    per_paper = {p: 0 for p in prob["papers"]}
    per_reviewer = {r: 0 for r in loads}
    sums = {p: 0.0 for p in prob["papers"]}
    for p, r in pairs:
        assert (p, r) not in conflicts
        per_paper[p] += 1
        per_reviewer[r] += 1
        sums[p] += aff.get((p, r), 0.0)
    assert all(c == k for c in per_paper.values())
    assert all(per_reviewer[r] <= loads[r] for r in loads)
    assert result["total_affinity"] == pytest.approx(sum(sums.values()), abs=1e-9)
    if sums:
        assert result["min_paper_affinity"] == pytest.approx(min(sums.values()), abs=1e-9)


def brute_force(prob):
    """Every feasible assignment as (total, min paper sum)."""
    k = prob["reviewers_per_paper"]
    loads = {r["id"]: r["max_load"] for r in prob["reviewers"]}
    conflicts = {tuple(c) for c in prob.get("conflicts", [])}
    aff = {(p, r): v for p, r, v in prob.get("affinity", [])}
    options = []
    for p in prob["papers"]:
        allowed = [r for r in loads if loads[r] > 0 and (p, r) not in conflicts]
        options.append([(c, sum(aff.get((p, r), 0.0) for r in c)) for c in itertools.combinations(allowed, k)])
    out = []
    for choice in itertools.product(*options):
        used = {}
        for combo, _ in choice:
            for r in combo:
                used[r] = used.get(r, 0) + 1
        if all(used[r] <= loads[r] for r in used):
            sums = [s for _, s in choice]
            out.append((sum(sums), min(sums)))
    return out


def random_problem(rng, max_papers=4, max_reviewers=5, max_k=2, grid=True, objective="total"):
    n = rng.randint(1, max_papers)
    m = rng.randint(2, max_reviewers)
    k = rng.randint(1, min(max_k, m))
    papers = [f"p{i}" for i in range(n)]
    reviewers = [(f"r{j}", rng.randint(0, 3)) for j in range(m)]
    affinity, conflicts = [], []
    for p in papers:
        for r, _ in reviewers:
            u = rng.random()
            if u < 0.5:
                value = rng.randint(1, 20) / 20 if grid else rng.random()
                affinity.append((p, r, value))
            elif u < 0.65:
                conflicts.append((p, r))
    return problem(papers, reviewers, k, affinity, conflicts, objective)


def milp_optimum(prob):
    """Max total by an independent integer program over every allowed pair."""
    k = prob["reviewers_per_paper"]
    papers = prob["papers"]
    revs = prob["reviewers"]
    conflicts = {tuple(c) for c in prob["conflicts"]}
    aff = {(p, r): v for p, r, v in prob["affinity"]}
    pairs = [(i, j) for i, p in enumerate(papers) for j, r in enumerate(revs)
             if (p, r["id"]) not in conflicts and r["max_load"] > 0]
    c = np.array([-aff.get((papers[i], revs[j]["id"]), 0.0) for i, j in pairs])
    rows = [i for i, _ in pairs] + [len(papers) + j for _, j in pairs]
    cols = list(range(len(pairs))) * 2
    a = coo_matrix((np.ones(2 * len(pairs)), (rows, cols)), shape=(len(papers) + len(revs), len(pairs)))
    lb = [k] * len(papers) + [0] * len(revs)
    ub = [k] * len(papers) + [r["max_load"] for r in revs]
    res = milp(c, constraints=LinearConstraint(a, lb, ub), integrality=np.ones(len(pairs)), bounds=Bounds(0, 1))
    return None if res.status != 0 else -res.fun


# --------------------------------------------------------------------------------------------
# hand-checked cases
# --------------------------------------------------------------------------------------------


def test_beats_greedy():
    # Greedy takes p1-r1 (0.9) and is left with p2-r2 (0.1); the optimum swaps them.
    prob = problem(["p1", "p2"], [("r1", 1), ("r2", 1)], 1,
                   [("p1", "r1", 0.9), ("p1", "r2", 0.8), ("p2", "r1", 0.85), ("p2", "r2", 0.1)])
    res = solve(prob)
    assert sorted(res["assignments"]) == [["p1", "r2"], ["p2", "r1"]]
    assert res["total_affinity"] == pytest.approx(1.65)
    assert res["min_paper_affinity"] == pytest.approx(0.8)


def test_missing_pairs_are_zero_but_allowed():
    prob = problem(["p1", "p2"], [("r1", 2), ("r2", 2), ("r3", 2)], 2, [("p1", "r1", 0.5)], [("p2", "r3")])
    res = solve(prob)
    check_constraints(prob, res)
    assert ["p1", "r1"] in res["assignments"]
    assert sorted(a for a in res["assignments"] if a[0] == "p2") == [["p2", "r1"], ["p2", "r2"]]
    assert res["total_affinity"] == pytest.approx(0.5)
    assert res["min_paper_affinity"] == 0.0


def test_conflict_overrides_affinity():
    prob = problem(["p1"], [("r1", 1), ("r2", 1)], 1, [("p1", "r1", 1.0)], [("p1", "r1")])
    assert solve(prob)["assignments"] == [["p1", "r2"]]


def test_no_papers():
    assert solve(problem([], [("r1", 1)], 2)) == {"assignments": [], "total_affinity": 0.0, "min_paper_affinity": 0.0}


def test_zero_pool_fallback_to_dense_network():
    # The pool relaxation sends p0 to r0 (its conflict) so it cannot be realised: the solver must
    # notice and fall back to the exact dense network.
    res = solve_arrays(2, [1, 1], 1, [1], [1], [1.1], [0], [0])
    assert res.method == "dense flow"
    assert list(zip(res.paper.tolist(), res.reviewer.tolist(), strict=True)) == [(0, 1), (1, 0)]
    assert res.total_affinity == 0.0


def test_fair_hand_checked():
    # Max total takes p1-r1 + p2-r2 = 1.7 and leaves p2 with 0.2; fair gives both papers 0.7.
    prob = problem(["p1", "p2"], [("r1", 1), ("r2", 1)], 1,
                   [("p1", "r1", 1.5), ("p1", "r2", 0.7), ("p2", "r1", 0.7), ("p2", "r2", 0.2)])
    total = solve(prob)
    assert total["total_affinity"] == pytest.approx(1.7)
    assert total["min_paper_affinity"] == pytest.approx(0.2)
    fair = solve({**prob, "objective": "fair"})
    assert sorted(fair["assignments"]) == [["p1", "r2"], ["p2", "r1"]]
    assert fair["min_paper_affinity"] == pytest.approx(0.7)
    assert fair["total_affinity"] == pytest.approx(1.4)


# --------------------------------------------------------------------------------------------
# optimality against independent oracles
# --------------------------------------------------------------------------------------------


def test_total_matches_brute_force_on_random_small_problems():
    rng = random.Random(20240601)
    checked = 0
    for _ in range(250):
        prob = random_problem(rng, grid=rng.random() < 0.5)
        all_solutions = brute_force(prob)
        if not all_solutions:
            with pytest.raises(InfeasibleAssignment):
                solve(prob)
            continue
        res = solve(prob)
        check_constraints(prob, res)
        assert res["total_affinity"] == pytest.approx(max(t for t, _ in all_solutions), abs=1e-7)
        checked += 1
    assert checked > 100


def test_fair_matches_brute_force_max_min_then_max_total():
    rng = random.Random(7)
    checked = 0
    for _ in range(150):
        prob = random_problem(rng, objective="fair")
        all_solutions = brute_force(prob)
        if not all_solutions:
            continue
        res = solve(prob)
        check_constraints(prob, res)
        best_min = max(mn for _, mn in all_solutions)
        best_total = max(t for t, mn in all_solutions if mn >= best_min - 1e-9)
        assert res["min_paper_affinity"] == pytest.approx(best_min, abs=1e-7)
        assert res["total_affinity"] == pytest.approx(best_total, abs=1e-7)
        checked += 1
    assert checked > 60


def test_fair_flow_heuristic_keeps_its_guarantee():
    rng = random.Random(11)
    checked = proven = 0
    for _ in range(80):
        prob = random_problem(rng, max_papers=4, max_reviewers=6, max_k=3, objective="fair")
        all_solutions = brute_force(prob)
        if not all_solutions:
            continue
        checked += 1
        from reviews.assignment import _parse

        paper_ids, reviewer_ids, arrays = _parse(prob)
        res = solve_arrays(**arrays, fair_exact_max_pairs=0)
        best_min = max(mn for _, mn in all_solutions)
        assert res.min_paper_affinity >= best_min / prob["reviewers_per_paper"] - 1e-9
        assert res.min_paper_affinity <= best_min + 1e-9 <= res.fair_upper_bound + 2e-9
        total = solve_arrays(**{**arrays, "objective": "total"})
        assert res.min_paper_affinity >= total.min_paper_affinity - 1e-9
        if res.optimal:  # claimed only when the upper bound is reached by the max-total solution
            assert res.min_paper_affinity == pytest.approx(best_min, abs=1e-9)
            assert res.total_affinity == pytest.approx(max(t for t, _ in all_solutions), abs=1e-7)
        proven += res.optimal
    assert 0 < proven < checked


@pytest.mark.parametrize("seed", range(12))
def test_total_matches_milp_on_medium_problems(seed):
    rng = np.random.default_rng(seed)
    n, m, k = int(rng.integers(10, 40)), int(rng.integers(5, 25)), int(rng.integers(1, 4))
    load = int(np.ceil(n * k / m)) + int(rng.integers(0, 2))  # tight capacity: zero pool matters
    papers = [f"p{i}" for i in range(n)]
    reviewers = [(f"r{j}", load) for j in range(m)]
    cells = rng.permutation(n * m)
    n_aff, n_conf = int(0.2 * n * m), int(0.15 * n * m)
    affinity = [(papers[c // m], f"r{c % m}", float(rng.random())) for c in cells[:n_aff]]
    conflicts = [(papers[c // m], f"r{c % m}") for c in cells[n_aff:n_aff + n_conf]]
    prob = problem(papers, reviewers, k, affinity, conflicts)
    expected = milp_optimum(prob)
    if expected is None:
        with pytest.raises(InfeasibleAssignment):
            solve(prob)
        return
    res = solve(prob)
    check_constraints(prob, res)
    assert res["total_affinity"] == pytest.approx(expected, abs=1e-6)
    from reviews.assignment import _parse

    _, _, arrays = _parse(prob)
    dense = solve_arrays(**arrays, zero_pool=False)
    assert dense.total_affinity == pytest.approx(expected, abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_constraints_and_optimality(data):
    n = data.draw(st.integers(1, 3))
    m = data.draw(st.integers(1, 4))
    k = data.draw(st.integers(1, 2))
    loads = data.draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    cells = [(f"p{i}", f"r{j}") for i in range(n) for j in range(m)]
    kinds = data.draw(st.lists(st.sampled_from(["zero", "aff", "conflict"]), min_size=len(cells), max_size=len(cells)))
    values = data.draw(st.lists(st.floats(0, 10, allow_nan=False), min_size=len(cells), max_size=len(cells)))
    affinity = [(p, r, v) for (p, r), kind, v in zip(cells, kinds, values, strict=True) if kind == "aff"]
    conflicts = [(p, r) for (p, r), kind in zip(cells, kinds, strict=True) if kind == "conflict"]
    prob = problem([f"p{i}" for i in range(n)], [(f"r{j}", loads[j]) for j in range(m)], k, affinity, conflicts)
    all_solutions = brute_force(prob)
    if not all_solutions:
        with pytest.raises(InfeasibleAssignment):
            solve(prob)
        return
    res = solve(prob)
    check_constraints(prob, res)
    assert res["total_affinity"] == pytest.approx(max(t for t, _ in all_solutions), abs=1e-6)


def test_prune_top():
    rng = np.random.default_rng(3)
    n, m, k = 30, 20, 3
    ap = np.repeat(np.arange(n), 8)
    ar = np.concatenate([rng.choice(m, 8, replace=False) for _ in range(n)])
    av = rng.random(ap.size)
    full = solve_arrays(n, np.full(m, 5), k, ap, ar, av)
    same = solve_arrays(n, np.full(m, 5), k, ap, ar, av, prune_top=8)
    pruned = solve_arrays(n, np.full(m, 5), k, ap, ar, av, prune_top=2)
    assert full.optimal and same.optimal and not pruned.optimal
    assert same.total_affinity == pytest.approx(full.total_affinity)
    assert pruned.total_affinity <= full.total_affinity + 1e-9
    assert np.all(np.bincount(pruned.paper, minlength=n) == k)
    assert np.all(np.bincount(pruned.reviewer, minlength=m) <= 5)


# --------------------------------------------------------------------------------------------
# infeasibility and validation
# --------------------------------------------------------------------------------------------


def test_infeasible_capacity():
    prob = problem([f"p{i}" for i in range(50)], [(f"r{j}", 2) for j in range(60)], 3)
    with pytest.raises(InfeasibleAssignment, match="total reviewer capacity 120 is less than the 150 reviews needed"):
        solve(prob)


def test_infeasible_conflicts_leave_too_few_reviewers():
    prob = problem(["p1", "p7"], [("r1", 5), ("r2", 5), ("r3", 5), ("r4", 5)], 3,
                   conflicts=[("p7", "r1"), ("p7", "r2")])
    with pytest.raises(InfeasibleAssignment, match="paper p7 has only 2 reviewers without a conflict.*needs 3"):
        solve(prob)


def test_infeasible_group_of_papers_named_by_min_cut():
    # p0 and p1 may only use r0..r2 (load 1 each): 4 reviews needed, 3 available.
    reviewers = [("r0", 1), ("r1", 1), ("r2", 1), ("r3", 4), ("r4", 4), ("r5", 4)]
    papers = [f"p{i}" for i in range(6)]
    conflicts = [(p, r) for p in ("p0", "p1") for r in ("r3", "r4", "r5")]
    prob = problem(papers, reviewers, 2, conflicts=conflicts)
    with pytest.raises(InfeasibleAssignment) as info:
        solve(prob)
    assert "the 2 papers p0, p1 need 4 reviews in total" in str(info.value)
    assert "at most 3" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["affinity"].append(["nope", "r1", 0.5]), "unknown paper 'nope'"),
    (lambda p: p["conflicts"].append(["p1", "ghost"]), "unknown reviewer 'ghost'"),
    (lambda p: p["papers"].append("p1"), "duplicate paper id 'p1'"),
    (lambda p: p["reviewers"].append({"id": "r1", "max_load": 1}), "duplicate reviewer id 'r1'"),
    (lambda p: p["reviewers"][0].update(max_load=-1), "max_load -1"),
    (lambda p: p["affinity"].append(["p1", "r2", -0.5]), "negative"),
    (lambda p: p["affinity"].append(["p1", "r1", 0.1]), "given more than once"),
    (lambda p: p["affinity"].append(["p1", "r2", float("nan")]), "finite number"),
    (lambda p: p.update(reviewers_per_paper=0), "reviewers_per_paper must be an integer >= 1"),
    (lambda p: p.update(objective="best"), "objective must be"),
    (lambda p: p.update(reviewer_per_paper=3), "unknown key(s): reviewer_per_paper"),
    (lambda p: p.pop("papers"), "missing key 'papers'"),
    (lambda p: p["reviewers"].append("r9"), "reviewers[2] must be an object"),
])
def test_validation_errors(mutate, message):
    prob = problem(["p1", "p2"], [("r1", 2), ("r2", 2)], 1, [("p1", "r1", 0.5)])
    validate_problem(prob)
    mutate(prob)
    with pytest.raises(InvalidProblem) as info:
        validate_problem(prob)
    assert message in str(info.value)
    with pytest.raises(ValueError):
        solve(prob)


def test_validation_collects_all_errors():
    with pytest.raises(InvalidProblem) as info:
        validate_problem({"papers": ["a", "a"], "reviewers": [{"id": "r", "max_load": -2}], "reviewers_per_paper": 1,
                          "affinity": [["x", "r", 1]]})
    assert len(info.value.errors) == 3
    with pytest.raises(InvalidProblem, match="JSON object"):
        validate_problem([])


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_cli_round_trip(tmp_path, capsys):
    prob = problem(["p1", "p2"], [("r1", 1), ("r2", 1)], 1,
                   [("p1", "r1", 0.9), ("p1", "r2", 0.8), ("p2", "r1", 0.85), ("p2", "r2", 0.1)])
    src, dst = tmp_path / "problem.json", tmp_path / "result.json"
    src.write_text(json.dumps(prob), encoding="utf-8")
    assert main(["--input", str(src), "--output", str(dst)]) == 0
    assert json.loads(dst.read_text(encoding="utf-8")) == solve(prob)

    assert main(["--input", str(src)]) == 0
    assert json.loads(capsys.readouterr().out) == solve(prob)


def test_cli_errors(tmp_path, capsys):
    src = tmp_path / "problem.json"
    src.write_text(json.dumps(problem(["p1"], [("r1", 1)], 2)), encoding="utf-8")
    assert main(["--input", str(src), "--output", str(tmp_path / "out.json")]) == 1
    assert "paper p1 has only 1 reviewer without a conflict" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()

    src.write_text(json.dumps({"papers": ["p1"], "reviewers": []}), encoding="utf-8")
    assert main(["--input", str(src)]) == 2
    assert "missing key 'reviewers_per_paper'" in capsys.readouterr().err

    src.write_text("{not json", encoding="utf-8")
    assert main(["--input", str(src)]) == 2
    assert "cannot read problem" in capsys.readouterr().err
    assert main(["--input", str(tmp_path / "missing.json")]) == 2
