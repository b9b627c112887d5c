"""Built-in extractor: the FID Inception-V3 pool3 features (torch-fidelity / pytorch-fid weights).

Declaration only (no torch at import); the network is in ``_net_inception``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl

_NET = "generallevel_builtin._net_inception:"


@hookimpl
def register_extractors(register):
    register(Extractor(
        "inception-pool3", "image", _NET + "build", dim=2048, identity=_NET + "identity",
        metrics=("FID",), default_for=("FID",),
        aliases=("inception-v3-fid", "fid-inception"), requires=("torch",), version="1",
        samples="uint8 RGB numpy array H x W x 3, any size",
        preprocessing="TensorFlow-1.x bilinear resize to 299 x 299 (align_corners=False), (x - 128) / 128, float32",
        fetch=_NET + "fetch", locate="generallevel_builtin._locate:inception",
        reference="torch-fidelity FeatureExtractorInceptionV3 '2048' (torchmetrics FrechetInceptionDistance)",
        description="Inception-V3 (TensorFlow 2015-12-05 graph) pool3, 2048-d; weights "
                    "weights-inception-2015-12-05-6726825d.pth (torch-fidelity) or pt_inception-2015-12-05-"
                    "6726825d.pth (pytorch-fid) in $TORCH_HOME/hub/checkpoints, or weights=PATH"))
