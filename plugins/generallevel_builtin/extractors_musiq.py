"""Built-in predictor: MUSIQ (pyiqa's multi-scale image quality transformer, KonIQ-10k; the MUSIQ metric).

Declaration only (no torch at import); the network is built in ``_net_musiq``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl


@hookimpl
def register_extractors(register):
    register(Extractor(
        "musiq", "image", "generallevel_builtin._net_musiq:build", output="scores",
        metrics=("MUSIQ",), default_for=("MUSIQ",), aliases=("musiq-koniq", "pyiqa-musiq"),
        requires=("torch",), version="1",
        samples="uint8 RGB numpy array H x W x 3, any size (a video: one score per frame, averaged by the caller)",
        preprocessing="pyiqa MUSIQ eval: /255 -> [-1, 1], bicubic resizes to longer side 224 and 384 plus the "
                      "original resolution, 32 x 32 patches with hashed 10 x 10 positions; float32, one image a pass",
        fetch="generallevel_builtin._net_musiq:fetch", locate="generallevel_builtin._locate:musiq",
        reference="pyiqa create_metric('musiq') (MUSIQ, KonIQ-10k checkpoint musiq_koniq_ckpt-e95806b9.pth)",
        description="MUSIQ image quality (0..100 on the KonIQ checkpoint), pyiqa's network and checkpoints "
                    "without pyiqa: $TORCH_HOME/hub/pyiqa/musiq_koniq_ckpt-e95806b9.pth, "
                    "$TORCH_HOME/hub/checkpoints, or weights=PATH"))
