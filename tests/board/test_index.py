"""The evaluation index on a hand-checked example (pure functions, no database)."""

import math

import pytest

from board.index import MINMAX, ZSCORE, Entry, competition_ranks, compute_index, standardise

SCIENCE, ENGINEERING = "理科", "工科"
ENTRIES = [
    Entry(1, SCIENCE, {"members": 100, "revenue": 50}),
    Entry(2, SCIENCE, {"members": 300, "revenue": 10}),
    Entry(3, ENGINEERING, {"members": 200, "revenue": 30}),
    Entry(4, ENGINEERING, {"members": 200, "revenue": 30}),
]


def by_id(scores):
    return {s.society_id: s for s in scores}


def test_minmax_weights_ranks_and_group_percentiles():
    # members → 0, 1, .5, .5; revenue → 1, 0, .5, .5; score = 2·members + 1·revenue.
    scores = by_id(compute_index(ENTRIES, {"members": 2, "revenue": 1}, MINMAX))
    assert {i: s.score for i, s in scores.items()} == {1: 1.0, 2: 2.0, 3: 1.5, 4: 1.5}
    assert {i: s.rank for i, s in scores.items()} == {2: 1, 3: 2, 4: 2, 1: 4}
    assert {i: (s.group_rank, s.group_size) for i, s in scores.items()} == {2: (1, 2), 1: (2, 2), 3: (1, 2), 4: (1, 2)}
    assert {i: s.percentile for i, s in scores.items()} == {2: 100.0, 1: 0.0, 3: 0.0, 4: 0.0}
    assert scores[1].standardised == {"members": 0.0, "revenue": 1.0}


def test_changing_weights_changes_the_ranking():
    scores = by_id(compute_index(ENTRIES, {"members": 1, "revenue": 3}, MINMAX))
    assert {i: s.score for i, s in scores.items()} == {1: 3.0, 2: 1.0, 3: 2.0, 4: 2.0}
    assert [s.society_id for s in compute_index(ENTRIES, {"members": 1, "revenue": 3}, MINMAX)] == [1, 3, 4, 2]


def test_zscore_uses_population_standard_deviation():
    # members: mean 200, σ = √5000 ≈ 70.71 → z = −√2, √2, 0, 0; revenue: mean 30, σ = √200 → √2, −√2, 0, 0.
    scores = by_id(compute_index(ENTRIES, {"members": 2, "revenue": 1}, ZSCORE))
    root2 = math.sqrt(2)
    assert scores[1].score == pytest.approx(-root2, abs=1e-6)
    assert scores[2].score == pytest.approx(root2, abs=1e-6)
    assert scores[3].score == scores[4].score == 0.0
    assert {i: s.rank for i, s in scores.items()} == {2: 1, 3: 2, 4: 2, 1: 4}
    assert scores[2].standardised == {
        "members": pytest.approx(root2, abs=1e-6),
        "revenue": pytest.approx(-root2, abs=1e-6),
    }


def test_percentile_in_a_group_of_three_and_alone():
    entries = [Entry(10, SCIENCE, {"x": 3}), Entry(11, SCIENCE, {"x": 2}), Entry(12, SCIENCE, {"x": 1}),
               Entry(13, "医科", {"x": 0})]
    scores = by_id(compute_index(entries, {"x": 1}, MINMAX))
    assert {i: s.percentile for i, s in scores.items()} == {10: 100.0, 11: 50.0, 12: 0.0, 13: 100.0}
    assert {i: s.rank for i, s in scores.items()} == {10: 1, 11: 2, 12: 3, 13: 4}
    assert scores[13].group_rank == 1 and scores[13].group_size == 1


def test_missing_indicator_counts_as_zero_and_zero_weight_is_ignored():
    entries = [Entry(1, SCIENCE, {"members": 10}), Entry(2, SCIENCE, {"members": 0, "revenue": 5})]
    scores = by_id(compute_index(entries, {"members": 1, "revenue": 0}, MINMAX))
    assert {i: s.score for i, s in scores.items()} == {1: 1.0, 2: 0.0}
    assert scores[1].standardised == {"members": 1.0}


def test_standardise_edge_cases():
    assert standardise([5, 5, 5], MINMAX) == [0.0, 0.0, 0.0]
    assert standardise([5, 5], ZSCORE) == [0.0, 0.0]
    assert standardise([], ZSCORE) == []
    assert competition_ranks([0.1 + 0.2, 0.3, 0.1]) == [1, 1, 3]
    with pytest.raises(ValueError):
        standardise([1, 2], "rank")
