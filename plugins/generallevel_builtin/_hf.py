"""Hugging Face hub plumbing of the transformers-based extractors (imported when a model is built).

Models load only from the hub cache (``HF_HUB_CACHE`` / ``HF_HOME``; ``local_files_only=True``) or
a local folder: nothing is downloaded while scoring. ``fetch`` calls huggingface_hub's own
``snapshot_download``. ``save_pretrained_to_cache`` writes a model in the hub cache layout
(``models--ORG--NAME/snapshots/COMMIT`` plus ``refs/main``), as a download would.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable

from generallevel.feature_cache import describe_identity

from . import _model_support as ms

IGNORE = ["*.h5", "*.msgpack", "*.onnx", "*.ot", "*.tflite", "*.mlmodel", "*.gguf", "coreml/*", "onnx/*",
          "flax_model*", "tf_model*", "rust_model*"]
TINY_COMMIT = "0" * 40  # the snapshot name save_tiny uses


def hub_cache() -> Path:
    """HF_HUB_CACHE, else HF_HOME/hub, else huggingface_hub's default (read now, not at its import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def repo_folder(repo_id: str, cache: Path | None = None) -> Path:
    return (cache or hub_cache()) / ("models--" + repo_id.replace("/", "--"))


def resolve(model: str, extractor: str, description: str) -> Path:
    """A local folder for ``model`` (a folder path, or a repo id already in the hub cache)."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if path.is_absolute() or model.startswith("."):
        raise ms.missing_weights(extractor, description, path, "model= names no folder", option="model")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(model, local_files_only=True, cache_dir=hub_cache()))
    except Exception:  # noqa: BLE001 - not in the cache (huggingface_hub raises several types)
        raise ms.missing_weights(extractor, f"{description} ({model})", repo_folder(model),
                                 "HF_HUB_CACHE or HF_HOME move the hub cache", option="model") from None


def load(loader: Callable[..., Any], folder: Path, extractor: str, **kwargs: Any) -> Any:
    """``loader(folder, local_files_only=True)``; an unreadable checkpoint names the folder."""
    try:
        return loader(str(folder), local_files_only=True, **kwargs)
    except Exception as e:  # noqa: BLE001
        raise ms.corrupt_weights(extractor, folder, e) from e


def fetch(repo_id: str) -> str:
    """Download a model repository with huggingface_hub's own snapshot_download (PyTorch weights)."""
    from huggingface_hub import snapshot_download

    return snapshot_download(repo_id, ignore_patterns=IGNORE, cache_dir=hub_cache())


def snapshot_dir(folder: str | os.PathLike, repo_id: str) -> Path:
    """Where save_tiny writes ``repo_id`` when ``folder`` serves as HF_HUB_CACHE (refs/main set)."""
    root = repo_folder(repo_id, Path(folder))
    (root / "refs").mkdir(parents=True, exist_ok=True)
    (root / "refs" / "main").write_text(TINY_COMMIT)
    snap = root / "snapshots" / TINY_COMMIT
    snap.mkdir(parents=True, exist_ok=True)
    return snap


def features(output: Any) -> Any:
    """A ``get_*_features`` result as a tensor (transformers 5 returns an output object)."""
    if hasattr(output, "pooler_output") and not hasattr(output, "shape"):
        return output.pooler_output
    return output


_SHARED: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_LOCK = threading.Lock()


class TwoTower:
    """Base of the two extractors of one transformers model (image or audio tower, text tower).

    One (model, processor) pair per folder and device serves both; subclasses set ``kind``,
    ``preprocessing``, ``family`` (the model, for messages) and implement ``load(folder)``.
    """

    kind = ""
    family = ""
    preprocessing = ""
    version = "1"

    def __init__(self, model: str, device: str | None, batch_size: int, name: str):
        self.name = name
        self.device = ms.torch_device(device)
        self.batch_size = ms.positive_int(batch_size, "batch_size")
        folder = resolve(model, name, self.family)
        key = (type(self).__module__, str(folder), str(self.device))
        with _LOCK:
            if key not in _SHARED:
                net, proc = self.load(folder)
                _SHARED[key] = (net.eval().requires_grad_(False).to(self.device), proc)
        self.model, self.processor = _SHARED[key]
        self.folder = folder
        self.cache_key = self.key_of(folder)

    @classmethod
    def key_of(cls, folder: Path) -> str:
        return describe_identity(version=cls.version, kind=cls.kind, weights=ms.folder_digest(folder),
                                 preprocessing=cls.preprocessing)

    @classmethod
    def identity(cls, model: str, name: str) -> str:
        """The ``cache_key`` of this tower for ``model`` without loading it (built on the first cache miss)."""
        return cls.key_of(resolve(model, name, cls.family))

    def load(self, folder: Path) -> tuple[Any, Any]:
        raise NotImplementedError
