"""The one minimum-group-size rule (rusfokus.effekt.aggregate), with groups of 1 to 6 people."""

from __future__ import annotations

import itertools

import pytest

from rusfokus.effekt.aggregate import OTHERS, aggregate


def rows(sizes: dict[str, int], answers_each: int = 1) -> list[dict]:
    out, pid = [], itertools.count(1)
    for group, n in sizes.items():
        for _ in range(n):
            p = next(pid)
            out += [{"person_id": p, "g": group}] * answers_each
    return out


@pytest.mark.parametrize("size", range(1, 7))
def test_a_lone_group_is_shown_only_from_five_people(size):
    shown = aggregate(rows({"A": size}), by="g")
    assert [(g.label, g.n) for g in shown] == ([("A", size)] if size >= 5 else [])


@pytest.mark.parametrize("size", range(1, 7))
def test_people_count_not_answers(size):
    shown = aggregate(rows({"A": size}, answers_each=3), by="g")
    assert bool(shown) == (size >= 5)


@pytest.mark.parametrize("small", range(1, 5))
def test_a_small_group_beside_big_ones_is_merged_and_never_shown_alone(small):
    shown = aggregate(rows({"A": 6, "B": 5, "C": small}), by="g")
    labels = {g.label: g.n for g in shown}
    assert "C" not in labels
    assert all(n >= 5 for n in labels.values())
    assert sum(labels.values()) == 11 + small  # nobody lost, nobody counted twice
    # "Øvrige" took the smallest big group too, so C cannot be worked out from a total
    assert labels == {"A": 6, OTHERS: 5 + small}


def test_small_groups_together_can_make_oevrige():
    shown = aggregate(rows({"A": 6, "B": 2, "C": 3, "D": 1}), by="g")
    assert [(g.label, g.n) for g in shown] == [("A", 6), (OTHERS, 6)]


@pytest.mark.parametrize(("a", "b"), [(1, 3), (2, 2), (3, 1)])
def test_everyone_together_under_five_shows_nothing(a, b):
    assert aggregate(rows({"A": a, "B": b}), by="g") == []


@pytest.mark.parametrize("size", range(1, 7))
def test_hide_leaves_out_small_groups_without_merging(size):
    shown = aggregate(rows({"2027 K1": 6, "2027 K2": size}), by="g", small="hide")
    assert [g.label for g in shown] == (["2027 K1", "2027 K2"] if size >= 5 else ["2027 K1"])


@pytest.mark.parametrize("asked", [0, 1, 3, 4])
def test_the_minimum_never_goes_below_five(asked):
    assert aggregate(rows({"A": 4}), by="g", min_size=asked) == []
    assert [g.n for g in aggregate(rows({"A": 6, "B": 6}), by="g", min_size=6)] == [6, 6]
    assert aggregate(rows({"A": 5}), by="g", min_size=6) == []


@pytest.mark.parametrize("size", range(1, 7))
def test_adjacent_joins_small_quarters_with_their_neighbours_and_loses_nobody(size):
    shown = aggregate(rows({"2026 K1": size, "2026 K2": 6, "2026 K3": size}), by="g", small="adjacent")
    assert all(g.n >= 5 for g in shown) and sum(g.n for g in shown) == 6 + 2 * size
    if size >= 5:
        assert [g.label for g in shown] == ["2026 K1", "2026 K2", "2026 K3"]
    else:
        assert [g.label for g in shown] == ["2026 K1–2026 K3"]  # K1 joins K2, the small K3 joins them
    assert aggregate(rows({"2026 K1": 2, "2026 K2": 2}), by="g", small="adjacent") == []
