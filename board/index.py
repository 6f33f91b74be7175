"""The evaluation index (评价指数): pure functions, no database.

Each society has raw indicator values for a year.  Every indicator is standardised across the
societies compared — min–max to [0, 1] or z-score (population standard deviation) — then
multiplied by the operator's weight and summed into the score.  A missing indicator counts as
0 before standardisation (a society without meetings held none).  Ranks use standard
competition ranking (1, 2, 2, 4): equal scores share a rank.  The percentile within a group is
the share of the *other* societies of the group that score strictly lower (100 for the best,
0 for the worst, 100 when alone).
"""

import math
from collections import defaultdict
from dataclasses import dataclass

MINMAX = "minmax"
ZSCORE = "zscore"
METHODS = (MINMAX, ZSCORE)


@dataclass(frozen=True)
class Entry:
    society_id: int
    group: str
    indicators: dict[str, float]


@dataclass(frozen=True)
class Score:
    society_id: int
    group: str
    score: float
    rank: int
    group_rank: int
    group_size: int
    percentile: float
    standardised: dict[str, float]


def standardise(values: list[float], method: str) -> list[float]:
    """Values on a common scale; all-equal values map to 0 (they tell the societies nothing apart)."""
    if method not in METHODS:
        raise ValueError(f"unknown standardisation {method!r}")
    if not values:
        return []
    if method == MINMAX:
        low, high = min(values), max(values)
        if high == low:
            return [0.0 for _ in values]
        return [(v - low) / (high - low) for v in values]
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std == 0:
        return [0.0 for _ in values]
    return [(v - mean) / std for v in values]


def competition_ranks(scores: list[float]) -> list[int]:
    """1-based ranks, highest score first; ties share the better rank (1, 2, 2, 4)."""
    # Rounding keeps float noise (0.1 + 0.2) from splitting a tie.
    rounded = [round(s, 9) for s in scores]
    return [1 + sum(1 for other in rounded if other > mine) for mine in rounded]


def compute_index(entries: list[Entry], weights: dict[str, float], method: str) -> list[Score]:
    """Scores, ranks and group percentiles for ``entries``, best first."""
    if not entries:
        return []
    names = [name for name, weight in weights.items() if weight]
    columns = {
        name: standardise([float(e.indicators.get(name) or 0) for e in entries], method) for name in names
    }
    scores = [sum(weights[name] * columns[name][i] for name in names) for i in range(len(entries))]
    ranks = competition_ranks(scores)
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, entry in enumerate(entries):
        by_group[entry.group].append(i)
    group_rank: dict[int, int] = {}
    percentile: dict[int, float] = {}
    for members in by_group.values():
        member_scores = [scores[i] for i in members]
        for i, rank in zip(members, competition_ranks(member_scores), strict=True):
            group_rank[i] = rank
            lower = sum(1 for j in members if round(scores[j], 9) < round(scores[i], 9))
            percentile[i] = 100.0 if len(members) == 1 else round(100.0 * lower / (len(members) - 1), 1)
    result = [
        Score(
            society_id=e.society_id,
            group=e.group,
            score=round(scores[i], 6),
            rank=ranks[i],
            group_rank=group_rank[i],
            group_size=len(by_group[e.group]),
            percentile=percentile[i],
            standardised={name: round(columns[name][i], 6) for name in names},
        )
        for i, e in enumerate(entries)
    ]
    return sorted(result, key=lambda s: (s.rank, s.society_id))
