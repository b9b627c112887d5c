"""Point clouds and meshes as float64 N x 3 points (plyfile for PLY, trimesh for OBJ/OFF/STL/GLB)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .arrays import load_array
from .spec import EXTENSIONS, MediaError, PointsSpec, file_kind

SAMPLE_SEED = 0  # surface sampling is seeded: the same mesh gives the same points on every run


def _ply(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    from plyfile import PlyData

    try:
        ply = PlyData.read(str(path))
    except Exception as e:  # noqa: BLE001 - plyfile raises PlyParseError, ValueError, struct errors
        raise MediaError(path, f"cannot read PLY ({e})") from None
    names = [el.name for el in ply.elements]
    if "vertex" not in names:
        raise MediaError(path, "has no 'vertex' element")
    vertex = ply["vertex"].data
    missing = [c for c in "xyz" if c not in (vertex.dtype.names or ())]
    if missing:
        raise MediaError(path, f"vertices lack {', '.join(missing)} coordinates")
    points = np.column_stack([np.asarray(vertex[c], dtype=np.float64) for c in "xyz"])
    faces = None
    if "face" in names and len(ply["face"].data):
        prop = next((p for p in ("vertex_indices", "vertex_index") if p in ply["face"].data.dtype.names), None)
        if prop is not None:  # fan-triangulate polygons
            faces = np.array([[poly[0], poly[k], poly[k + 1]] for poly in ply["face"].data[prop]
                              for k in range(1, len(poly) - 1)], dtype=np.int64).reshape(-1, 3)
    return points, faces


def _trimesh(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    import trimesh

    try:
        loaded: Any = trimesh.load(str(path), process=False)
    except Exception as e:  # noqa: BLE001 - trimesh raises many kinds on bad input
        raise MediaError(path, f"cannot read {path.suffix} geometry ({e})") from None
    if isinstance(loaded, trimesh.Scene):
        geoms = list(loaded.dump()) if loaded.geometry else []
        if not geoms:
            raise MediaError(path, "holds an empty scene")
        loaded = trimesh.util.concatenate(geoms) if len(geoms) > 1 else geoms[0]
    points = np.asarray(getattr(loaded, "vertices", np.empty((0, 3))), dtype=np.float64)
    faces = getattr(loaded, "faces", None)
    return points, (np.asarray(faces, dtype=np.int64) if faces is not None and len(faces) else None)


def _sample_surface(path: Path, points: np.ndarray, faces: np.ndarray, count: int) -> np.ndarray:
    import trimesh

    if faces.max(initial=-1) >= len(points) or faces.min(initial=0) < 0:
        raise MediaError(path, "has faces that index missing vertices")
    mesh = trimesh.Trimesh(vertices=points, faces=faces, process=False)
    if not mesh.area > 0:
        raise MediaError(path, "is a mesh with zero surface area; no surface points to sample")
    sampled, _ = trimesh.sample.sample_surface(mesh, count, seed=SAMPLE_SEED)
    return np.asarray(sampled, dtype=np.float64)


def decode_points(path: Path, spec: PointsSpec) -> np.ndarray:
    kind, suffix = file_kind(path), path.suffix.lower()
    if kind not in ("geometry", "array"):
        raise MediaError(path, f"expected a point cloud or mesh ({', '.join(EXTENSIONS['geometry'])}, .npy, .npz)")
    faces = None
    if kind == "array":
        points = load_array(path)
    elif suffix == ".ply":
        points, faces = _ply(path)
    elif suffix == ".xyz":
        try:
            points = np.loadtxt(path, ndmin=2, dtype=np.float64)
        except ValueError as e:
            raise MediaError(path, f"cannot read XYZ text ({e})") from None
    else:
        points, faces = _trimesh(path)
    if points.ndim != 2 or points.shape[1] < 3 or points.dtype.kind not in "iuf":
        raise MediaError(path, f"expected N x 3 coordinates (extra columns ignored), got {points.dtype} {points.shape}")
    points = np.ascontiguousarray(points[:, :3], dtype=np.float64)
    if len(points) == 0:
        raise MediaError(path, "holds no points")
    bad = np.flatnonzero(~np.isfinite(points).all(axis=1))
    if bad.size:
        raise MediaError(path, f"has {bad.size} vertex/point(s) with NaN or infinite coordinates (first: index {bad[0]})")
    if spec.mesh_points is not None and faces is not None:
        return _sample_surface(path, points, faces, spec.mesh_points)
    return points
