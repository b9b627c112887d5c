"""VBench dimensions per video, from decoded videos and the built-in extractors: I2V-Composite's inputs.

The registry's I2V-Composite (General-Bench's image-to-video tasks) is the mean of four VBench
dimensions per video, each in [0, 1]: ``subject_consistency`` (DINO), ``viclip`` (ViCLIP
video-text consistency), ``dynamic_degree`` (RAFT) and ``motion_smoothness`` (AMT frame
interpolation). What is built in:

* :func:`subject_consistency`: VBench's rule on ``dino-vitb16`` frame embeddings;
* :func:`background_consistency`: the same rule on CLIP image embeddings (VBench uses ViT-B/32:
  ``model="openai/clip-vit-base-patch32"``); not an I2V-Composite input, but computed the same way;
* :func:`dynamic_degree`: the ``raft-large`` predictor (VBench's rule, 1.0 / 0.0 per video).

Not built in, because their networks exist only as VBench's own checkpoints: ``viclip``
(``ViCLIP-InternVid-10M-FLT.pth``, VBench's ``~/.cache/vbench/ViCLIP/``) and ``motion_smoothness``
(AMT-S, ``amt-s.pth`` in ``~/.cache/vbench/amt_model/``). Compute those with VBench and pass them to
:func:`i2v_rows`, which assembles the per-video dicts I2V-Composite reads.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from generallevel import InputError, MissingDependencyError

NOT_BUILT_IN = {
    "viclip": "ViCLIP (VBench's ViCLIP-InternVid-10M-FLT.pth in ~/.cache/vbench/ViCLIP/)",
    "motion_smoothness": "AMT-S frame interpolation (VBench's amt-s.pth in ~/.cache/vbench/amt_model/)",
}


def consistency(frame_features: Sequence[Any]) -> np.ndarray:
    """VBench's subject/background consistency per video from its frames' features (T x D each).

    For each frame after the first: the mean of its cosine with the previous frame and with the
    first frame, each clipped at 0; the video's score is the mean over those frames. A video needs
    at least two frames.
    """
    out = []
    for i, feats in enumerate(frame_features):
        f = np.asarray(feats, dtype=np.float64)
        if f.ndim != 2 or f.shape[0] < 2:
            raise InputError(f"video {i}: consistency needs at least two frames' features (T x D), got {f.shape}")
        norms = np.linalg.norm(f, axis=1, keepdims=True)
        if not np.isfinite(f).all() or (norms == 0).any():
            raise InputError(f"video {i}: frame features must be finite and non-zero")
        f = f / norms
        prev = np.maximum(0.0, np.sum(f[1:] * f[:-1], axis=1))
        first = np.maximum(0.0, f[1:] @ f[0])
        out.append(float(np.mean((prev + first) / 2)))
    return np.asarray(out)


def _frames_through(videos: Sequence[Any], extractor: str, options: Mapping[str, Any]) -> list[np.ndarray]:
    import generallevel as gl

    embed = gl.get_extractor(extractor).load(**dict(options))
    return [np.asarray(embed(list(np.asarray(v))), dtype=np.float64) for v in videos]


def subject_consistency(videos: Sequence[Any], extractor: str = "dino-vitb16", **options: Any) -> np.ndarray:
    """Per-video subject consistency: VBench's rule on DINO ViT-B/16 frame embeddings (every frame)."""
    return consistency(_frames_through(videos, extractor, options))


def background_consistency(videos: Sequence[Any], extractor: str = "clip-image", **options: Any) -> np.ndarray:
    """Per-video background consistency: the same rule on CLIP image embeddings (pass
    ``model="openai/clip-vit-base-patch32"`` for VBench's network)."""
    return consistency(_frames_through(videos, extractor, options))


def dynamic_degree(videos: Sequence[Any], **options: Any) -> np.ndarray:
    """Per-video VBench dynamic flags (1.0 / 0.0) from the ``raft-large`` predictor."""
    import generallevel as gl

    return np.asarray(gl.get_extractor("raft-large").load(**options)(list(videos)), dtype=np.float64)


def i2v_rows(videos: Sequence[Any] | None = None, *, subject: Sequence[float] | None = None,
             dynamic: Sequence[float] | None = None, viclip: Sequence[float] | None = None,
             motion_smoothness: Sequence[float] | None = None,
             dino_options: Mapping[str, Any] | None = None,
             raft_options: Mapping[str, Any] | None = None) -> list[dict[str, float]]:
    """The per-video dicts I2V-Composite reads; the built-in dimensions are computed from ``videos``
    when not given, ``viclip`` and ``motion_smoothness`` must be given (not built in)."""
    missing = [k for k, v in (("viclip", viclip), ("motion_smoothness", motion_smoothness)) if v is None]
    if missing:
        raise MissingDependencyError(
            "I2V-Composite: " + "; ".join(f"{k} needs {NOT_BUILT_IN[k]}, which generallevel does not build in"
                                          for k in missing)
            + ". Compute it with VBench (its evaluate.py, dimension "
            + ", ".join(missing) + ") and pass the per-video values")
    if videos is not None:
        subject = subject if subject is not None else subject_consistency(videos, **dict(dino_options or {}))
        dynamic = dynamic if dynamic is not None else dynamic_degree(videos, **dict(raft_options or {}))
    if subject is None or dynamic is None:
        raise InputError("I2V-Composite: pass the videos, or subject= and dynamic= per-video values")
    columns = {"subject_consistency": subject, "viclip": viclip, "dynamic_degree": dynamic,
               "motion_smoothness": motion_smoothness}
    lengths = {k: len(v) for k, v in columns.items()}
    if len(set(lengths.values())) != 1:
        raise InputError(f"I2V-Composite: the dimensions cover different numbers of videos: {lengths}")
    n = next(iter(lengths.values()))
    return [{k: float(v[i]) for k, v in columns.items()} for i in range(n)]
