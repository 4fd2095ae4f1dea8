"""Legend labels of classed thematic maps read as a planner writes them."""

from __future__ import annotations

from ecomap.webmap._maps import _class_labels


def test_the_first_class_is_an_upper_bound_the_others_ranges():
    # the bundled corridors' dPC quintile breaks (ecomap build, 30 m): the minimum is C16's 1.45e-05 %
    edges = [1.4462e-05, 0.030414, 0.19131, 0.57621, 1.6816, 8.77998]
    assert _class_labels(edges, "dPC", "%") == [
        "dPC ≤ 0.0304 %", "dPC 0.0304–0.191 %", "dPC 0.191–0.576 %", "dPC 0.576–1.68 %", "dPC 1.68–8.78 %"]


def test_a_single_class_keeps_its_range():
    assert _class_labels([2.0, 2.5], "dPC", "%") == ["dPC 2–2.5 %"]
