"""Where the built-in extractors' default weights are expected, computed without importing torch or
transformers (the listing must stay light): the folders torch hub and huggingface_hub would use."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def torch_checkpoint(*filenames: str) -> tuple[str, bool]:
    """``$TORCH_HOME/hub/checkpoints/NAME`` (default ``~/.cache/torch``): the first present, else the first."""
    home = Path(os.environ["TORCH_HOME"]).expanduser() if os.environ.get("TORCH_HOME") else _xdg_cache() / "torch"
    paths = [home / "hub" / "checkpoints" / f for f in filenames]
    found = next((p for p in paths if p.is_file()), None)
    return str(found or paths[0]), found is not None


def hub_model(repo_id: str) -> tuple[str, bool]:
    """The hub-cache folder of ``repo_id`` and whether a snapshot of it is there."""
    if os.environ.get("HF_HUB_CACHE"):
        cache = Path(os.environ["HF_HUB_CACHE"]).expanduser()
    elif os.environ.get("HF_HOME"):
        cache = Path(os.environ["HF_HOME"]).expanduser() / "hub"
    else:
        cache = _xdg_cache() / "huggingface" / "hub"
    folder = cache / ("models--" + repo_id.replace("/", "--"))
    snapshots = folder / "snapshots"
    return str(folder), snapshots.is_dir() and any(snapshots.iterdir())


def inception() -> tuple[str, bool]:
    return torch_checkpoint("weights-inception-2015-12-05-6726825d.pth", "pt_inception-2015-12-05-6726825d.pth")


def r3d18() -> tuple[str, bool]:
    return torch_checkpoint("r3d_18-b3b3357e.pth")


def clip() -> tuple[str, bool]:
    return hub_model("openai/clip-vit-large-patch14")


def dino() -> tuple[str, bool]:
    return hub_model("facebook/dino-vitb16")


def clap() -> tuple[str, bool]:
    return hub_model("laion/clap-htsat-unfused")


def whisper() -> tuple[str, bool]:
    return hub_model("openai/whisper-large-v3-turbo")


def aesthetic() -> tuple[str, bool]:
    """Both parts: the CLIP tower and the head (VBench's folder, else torch hub's)."""
    tower, has_tower = clip()
    root = Path(os.environ.get("VBENCH_CACHE_DIR") or Path.home() / ".cache" / "vbench")
    head = root / "aesthetic_model" / "emb_reader" / "sa_0_4_vit_l_14_linear.pth"
    if not head.is_file():
        alt, present = torch_checkpoint("sa_0_4_vit_l_14_linear.pth")
        head = Path(alt) if present else head
    return f"{tower} + {head}", has_tower and head.is_file()


def musiq() -> tuple[str, bool]:
    """pyiqa's download folder ($TORCH_HOME/hub/pyiqa), else torch hub's checkpoints folder."""
    name = "musiq_koniq_ckpt-e95806b9.pth"
    home = Path(os.environ["TORCH_HOME"]).expanduser() if os.environ.get("TORCH_HOME") else _xdg_cache() / "torch"
    path = home / "hub" / "pyiqa" / name
    if path.is_file():
        return str(path), True
    alt, present = torch_checkpoint(name)
    return (alt, True) if present else (str(path), False)


def raft() -> tuple[str, bool]:
    return torch_checkpoint("raft_large_C_T_V1-22a6c225.pth")
