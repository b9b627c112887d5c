"""Built-in predictor: RAFT optical flow with VBench's dynamic-degree rule (DynamicDegree).

Declaration only (no torch at import); the network and the rule are in ``_net_raft``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl


@hookimpl
def register_extractors(register):
    register(Extractor(
        "raft-large", "video", "generallevel_builtin._net_raft:build", output="scores",
        metrics=("DynamicDegree",), aliases=("raft", "vbench-dynamic-degree"),
        requires=("torch",), version="1",
        samples="uint8 RGB numpy array T x H x W x 3 (a VideoArray's fps, else fps=, else 8); H, W >= 128 px",
        preprocessing="VBench dynamic_degree: every round(fps/8)-th frame, pairs replicate-padded to a multiple of 8, "
                      "RGB/255*2-1, RAFT-large with 20 updates, per pair the mean of the top 5 % flow magnitudes; "
                      "threshold 6*max(1, 8/fps)*min(H, W)/256, pairs needed round(4*frames/16)",
        fetch="generallevel_builtin._net_raft:fetch", locate="generallevel_builtin._locate:raft",
        reference="VBench dynamic_degree (RAFT raft-things.pth = torchvision Raft_Large_Weights.C_T_V1)",
        description="per video 1.0 when VBench calls it dynamic, else 0.0 (DynamicDegree = 100 x their mean); "
                    "torchvision's raft_large_C_T_V1-22a6c225.pth from $TORCH_HOME/hub/checkpoints or weights=PATH; "
                    ".flows(video) and .peaks(video) give the flows and per-pair scores"))
