"""Built-in extractor: R3D-18 (Kinetics-400) video features, the network General-Bench's FVD uses.

Declaration only (no torch at import); the network is in ``_net_r3d``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl

_NET = "generallevel_builtin._net_r3d:"


@hookimpl
def register_extractors(register):
    register(Extractor(
        "r3d18-kinetics", "video", _NET + "build", dim=512, identity=_NET + "identity",
        metrics=("FVD",), default_for=("FVD",),
        aliases=("r3d-18", "fvd-r3d18"), requires=("torch", "PIL"), version="1",
        samples="uint8 RGB numpy array T x H x W x 3 (T >= 1, any size)",
        preprocessing="first 16 frames (the last repeated when fewer), PIL bilinear resize to 224 x 224, /255, "
                      "mean (0.43216, 0.394666, 0.37645) std (0.22803, 0.22145, 0.216989); float32",
        fetch=_NET + "fetch", locate="generallevel_builtin._locate:r3d18",
        reference="General-Bench video_generation_evaluation/toolkit/fvd.py (torchvision r3d_18, fc = Identity)",
        description="torchvision r3d_18 Kinetics-400 (R3D_18_Weights.KINETICS400_V1) without its classifier, "
                    "512-d; weights r3d_18-b3b3357e.pth in $TORCH_HOME/hub/checkpoints, or weights=PATH. "
                    "Not the I3D of the FVD paper: General-Bench's official toolkit uses this network"))
