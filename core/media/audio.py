"""Audio as a mono float32 waveform at a declared rate (soundfile; PyAV for AAC/M4A and fallbacks)."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np

from . import spec as _spec
from .spec import EXTENSIONS, AudioSpec, MediaError, file_kind

_SOUNDFILE = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3")


def _guard(path: Path, samples: int) -> None:
    if samples * 4 > _spec.MAX_VIDEO_BYTES:
        raise MediaError(path, f"decodes to more than {_spec.MAX_VIDEO_BYTES >> 20} MiB of samples; refused")


def _read_soundfile(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    info = sf.info(str(path))
    _guard(path, info.frames * info.channels)
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data.T, int(rate)  # channels x samples


def _read_av(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise MediaError(path, "has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp")  # planar float, the file's layout and rate kept
        chunks, rate, size = [], stream.rate, 0
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
                size += chunks[-1].size
                _guard(path, size)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    if not chunks:
        return np.zeros((1, 0), np.float32), int(rate or 0)
    return np.concatenate(chunks, axis=1).astype(np.float32), int(rate)


def resample(wave: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``wave`` from ``rate`` to ``target`` Hz with scipy.signal.resample_poly (up/down by the gcd)."""
    if rate == target:
        return wave
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(wave, target // g, rate // g).astype(np.float32)


def decode_audio(path: Path, spec: AudioSpec) -> np.ndarray:
    if file_kind(path) != "audio":
        raise MediaError(path, f"expected an audio file ({', '.join(EXTENSIONS['audio'])})")
    errors = []
    data = rate = None
    if path.suffix.lower() in _SOUNDFILE:
        try:
            data, rate = _read_soundfile(path)
        except Exception as e:  # noqa: BLE001 - soundfile raises LibsndfileError/RuntimeError/TypeError
            errors.append(f"soundfile: {e}")
    if data is None:
        try:
            data, rate = _read_av(path)
        except MediaError:
            raise
        except Exception as e:  # noqa: BLE001 - av.error.FFmpegError and friends
            errors.append(f"PyAV: {e}")
    if data is None:
        raise MediaError(path, "cannot decode audio (" + "; ".join(errors) + ")")
    if data.shape[1] == 0:
        raise MediaError(path, "holds no audio samples")
    wave = data.mean(axis=0, dtype=np.float32) if data.shape[0] > 1 else data[0]
    if not np.isfinite(wave).all():
        raise MediaError(path, "holds NaN or infinite samples")
    if rate != spec.sample_rate:
        if not spec.resample:
            raise MediaError(path, f"is sampled at {rate} Hz; {spec.sample_rate} Hz is needed and resampling is off "
                                   "(convert the file, or allow resampling)")
        wave = resample(wave, rate, spec.sample_rate)
    return np.ascontiguousarray(wave, dtype=np.float32)
