"""KITTI optical-flow PNGs (16-bit RGB: u, v as value * 64 + 2**15, third channel valid) decode
to the flow the devkit defines, from a file written byte by byte with known values."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from generallevel import InputError
from generallevel.media import FlowSpec, MediaError, decode
from generallevel.media.arrays import read_kitti_flow, write_kitti_flow

pytest.importorskip("av")


def _png16(path: Path, rgb: np.ndarray, filters: bool = False) -> Path:
    """A 16-bit RGB PNG written by hand (filter type 0 per row, or 2 'Up' on odd rows)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    h, w, _ = rgb.shape
    rows = rgb.astype(">u2").reshape(h, -1).view(np.uint8).reshape(h, -1)
    raw = b""
    for i in range(h):
        if filters and i % 2:
            raw += b"\x02" + ((rows[i].astype(np.int16) - rows[i - 1]) % 256).astype(np.uint8).tobytes()
        else:
            raw += b"\x00" + rows[i].tobytes()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def _known() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = np.array([[0.0, 1.5, -2.25], [511.984375, -512.0, 0.015625]])  # the format's extremes included
    v = np.array([[3.0, -0.5, 10.0], [-7.75, 0.25, 100.0]])
    valid = np.array([[1, 1, 0], [1, 1, 1]])
    raw = np.stack([u * 64 + 32768, v * 64 + 32768, valid], axis=2)
    return raw.astype(np.uint16), np.stack([u, v], axis=2).astype(np.float32), valid.astype(bool)


@pytest.mark.parametrize("filters", [False, True])
def test_kitti_png_decodes_to_the_devkit_flow(tmp_path, filters):
    raw, flow, valid = _known()
    path = _png16(tmp_path / "000000_10.png", raw, filters)
    got, ok = read_kitti_flow(path)
    assert got.dtype == np.float32 and np.array_equal(got, flow) and np.array_equal(ok, valid)
    nan = decode(path, FlowSpec(invalid="nan"))
    assert np.isnan(nan[0, 2]).all() and np.array_equal(nan[valid], flow[valid])
    zero = decode(path, FlowSpec(invalid="zero"))
    assert (zero[0, 2] == 0).all() and np.array_equal(zero[valid], flow[valid])
    with pytest.raises(MediaError, match=r"000000_10\.png.*1 of 6 pixels marked invalid"):
        decode(path, FlowSpec())


def test_kitti_png_round_trip_and_refusals(tmp_path):
    rng = np.random.default_rng(0)
    flow = (rng.normal(0, 20, (5, 7, 2)) * 64).round() / 64
    write_kitti_flow(tmp_path / "f.png", flow)
    assert np.array_equal(decode(tmp_path / "f.png", FlowSpec()), flow.astype(np.float32))
    from PIL import Image

    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "rgb8.png")
    with pytest.raises(MediaError, match=r"rgb8\.png.*16-bit RGB"):
        decode(tmp_path / "rgb8.png", FlowSpec())
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(MediaError, match=r"bad\.png.*cannot decode a KITTI flow PNG"):
        decode(tmp_path / "bad.png", FlowSpec())
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "x.jpg")
    with pytest.raises(MediaError, match="KITTI 16-bit .png"):
        decode(tmp_path / "x.jpg", FlowSpec())
    with pytest.raises(InputError, match="invalid must be one of"):
        FlowSpec(invalid="ignore")


def test_nan_in_a_float_flow_file_is_the_invalid_marker_only_when_asked(tmp_path):
    flow = np.ones((2, 3, 2), np.float32)
    flow[0, 1] = np.nan
    np.save(tmp_path / "f.npy", flow)
    with pytest.raises(MediaError, match=r"f\.npy.*NaN or infinite"):
        decode(tmp_path / "f.npy", FlowSpec())
    got = decode(tmp_path / "f.npy", FlowSpec(invalid="nan"))
    assert np.isnan(got[0, 1]).all() and np.isnan(got).sum() == 2
    flow[0, 1] = np.inf
    np.save(tmp_path / "g.npy", flow)
    with pytest.raises(MediaError, match="NaN or infinite"):
        decode(tmp_path / "g.npy", FlowSpec(invalid="nan"))
