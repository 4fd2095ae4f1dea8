"""The geometry helper of ecomap.importers that keeps the parts of one dimension (_geometry)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely


def test_keep_dimension_drops_stray_parts():
    from ecomap.importers._geometry import _keep_dimension

    line = shapely.LineString([(0, 0), (1, 0)])
    line2 = shapely.LineString([(2, 0), (3, 0)])
    point = shapely.Point(5, 5)
    geoms = np.array([shapely.GeometryCollection([point]), line,
                      shapely.GeometryCollection([line, point, shapely.MultiLineString([line2])]), None],
                     dtype=object)
    got = _keep_dimension(geoms, 1)
    assert got[0] is None and got[3] is None
    assert got[1].equals(line)
    assert got[2].equals(shapely.MultiLineString([line, line2]))
    # two squares sharing an edge: one valid polygon, not an invalid MultiPolygon
    a, b = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    got = _keep_dimension(np.array([shapely.GeometryCollection([a, b])], dtype=object), 2)
    assert got[0].is_valid and got[0].area == pytest.approx(2.0)
