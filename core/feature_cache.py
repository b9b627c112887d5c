"""A feature cache for model-based metrics: embed a sample once, reuse it for every later score.

A built extractor that exposes ``cache_key`` (a string naming the model exactly: extractor name,
version, weights digest, preprocessing, dtype) is wrapped in :class:`CachedExtractor` by
:meth:`generallevel.Extractor.load`. Each sample is keyed by the SHA-256 of its *content* (an
array's dtype, shape and bytes; a text's UTF-8; a file path's bytes), so the same image decoded
from two copies of a file hits the same entry, and a changed file or different weights miss.
Rescoring a model, or scoring one reference set for many models, then embeds nothing twice.

Fréchet metrics also cache the *statistics* (mean, covariance) of a whole set
(:meth:`CachedExtractor.gaussian_stats`), keyed by the multiset of its sample keys: the reference
set of an FID/FVD/FAD task is reduced once per model identity.

Where: ``GENERALLEVEL_FEATURE_CACHE`` (a folder, or ``off`` to turn the cache off), else
``GENERALLEVEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/generallevel`` or ``~/.cache/generallevel``. Features live in one
SQLite file per model identity (safe for several processes, e.g. ``evaluate --jobs``), statistics
in ``.npz`` files. Only numpy and the standard library are imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

FORMAT = 1  # bump when the key derivation or the storage layout changes
_OFF = {"0", "off", "false", "no", "none", "disabled"}
_LOCK = threading.Lock()


def cache_root() -> Path | None:
    """The cache folder, or None when ``GENERALLEVEL_FEATURE_CACHE`` turns the cache off."""
    setting = os.environ.get("GENERALLEVEL_FEATURE_CACHE", "").strip()
    if setting.lower() in _OFF:
        return None
    if setting.lower() not in ("", "1", "on", "true", "yes"):
        return Path(setting).expanduser()
    return cache_dir()


def cache_dir() -> Path:
    """generallevel's cache folder: ``GENERALLEVEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/generallevel``
    or ``~/.cache/generallevel``. The feature cache lives here unless ``GENERALLEVEL_FEATURE_CACHE``
    moves it; the demo's generated models (:mod:`generallevel.demo_models`) always do."""
    root = os.environ.get("GENERALLEVEL_CACHE_DIR")
    if root:
        return Path(root).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "generallevel"


def sample_key(sample: Any) -> str:
    """SHA-256 hex digest of one sample's content (arrays, tensors, texts, bytes, file paths)."""
    h = hashlib.sha256()
    if isinstance(sample, str):
        h.update(b"text\0" + sample.encode("utf-8"))
    elif isinstance(sample, (bytes, bytearray, memoryview)):
        h.update(b"bytes\0" + bytes(sample))
    elif isinstance(sample, os.PathLike):
        h.update(b"file\0")
        with open(sample, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    else:
        if hasattr(sample, "detach") and hasattr(sample, "cpu"):
            sample = sample.detach().cpu().numpy()
        fps = getattr(sample, "fps", None)  # a decoded video's frame rate: extractors that sample by time read it
        arr = np.ascontiguousarray(np.asarray(sample))
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"cannot key a sample of dtype {arr.dtype}")
        h.update(f"array\0{arr.dtype.str}\0{arr.shape}\0".encode())
        if fps is not None:
            h.update(f"fps\0{float(fps)!r}\0".encode())
        h.update(arr.data if arr.size else b"")
    return h.hexdigest()


def _digest(text: str) -> str:
    return hashlib.sha256(f"{FORMAT}\0{text}".encode()).hexdigest()[:32]


class FeatureCache:
    """Per-sample feature rows and per-set statistics of one model identity under ``root``."""

    def __init__(self, root: str | os.PathLike, identity: str):
        self.root = Path(root)
        self.identity = identity
        self.digest = _digest(identity)
        self._db: sqlite3.Connection | None = None
        self._pid = -1

    # -- per-sample features ------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():  # a forked worker opens its own connection
            folder = self.root / "features"
            folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(folder / f"{self.digest}.sqlite", timeout=60, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS meta (identity TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, dtype TEXT, data BLOB)")
            if db.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 0:
                db.execute("INSERT INTO meta VALUES (?)", (self.identity,))
            db.commit()
            self._db, self._pid = db, os.getpid()
        return self._db

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached rows among ``keys`` (missing keys are simply absent)."""
        out: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with _LOCK:
            db = self._conn()
            for start in range(0, len(unique), 500):
                part = unique[start:start + 500]
                marks = ",".join("?" * len(part))
                for key, dtype, data in db.execute(f"SELECT key, dtype, data FROM rows WHERE key IN ({marks})", part):
                    out[key] = np.frombuffer(data, dtype=np.dtype(dtype)).copy()
        return out

    def put(self, rows: dict[str, np.ndarray]) -> None:
        with _LOCK:
            db = self._conn()
            db.executemany("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
                           [(k, np.asarray(v).dtype.str, np.ascontiguousarray(v).tobytes()) for k, v in rows.items()])
            db.commit()

    def __len__(self) -> int:
        with _LOCK:
            return int(self._conn().execute("SELECT COUNT(*) FROM rows").fetchone()[0])

    # -- per-set statistics -------------------------------------------------------------------
    def _stats_path(self, keys: Sequence[str]) -> Path:
        set_key = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:32]
        return self.root / "stats" / self.digest / f"{set_key}.npz"

    def get_stats(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        path = self._stats_path(keys)
        if not path.is_file():
            return None
        try:
            with np.load(path) as z:
                return z["mu"], z["sigma"]
        except (OSError, ValueError, KeyError):  # a torn or foreign file: recompute
            return None

    def put_stats(self, keys: Sequence[str], mu: np.ndarray, sigma: np.ndarray) -> None:
        path = self._stats_path(keys)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, mu=mu, sigma=sigma)
        os.replace(tmp, path)


class CachedExtractor:
    """An extractor callable whose per-sample outputs go through the feature cache.

    Calls go straight to the wrapped callable when the cache is off. Samples that cannot be keyed
    (e.g. arbitrary objects) are embedded without caching. Attributes of the wrapped callable
    (``model``, ``device``, ``cache_key``...) stay reachable.
    """

    def __init__(self, fn: Callable[[Any], Any], name: str):
        self.fn = fn
        self.name = name
        self._caches: dict[tuple[str, str], FeatureCache] = {}
        self.hits = 0
        self.misses = 0

    def __getattr__(self, attr: str) -> Any:
        if attr == "fn":  # not yet set (e.g. during unpickling)
            raise AttributeError(attr)
        return getattr(self.fn, attr)

    def cache(self) -> FeatureCache | None:
        root = cache_root()
        if root is None:
            return None
        ident = (str(root), str(self.fn.cache_key))
        if ident not in self._caches:
            self._caches[ident] = FeatureCache(root, f"{self.name}\0{self.fn.cache_key}")
        return self._caches[ident]

    def _keys(self, samples: Sequence[Any]) -> list[str] | None:
        try:
            return [sample_key(s) for s in samples]
        except (TypeError, ValueError):
            return None

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        cache = self.cache()
        keys = self._keys(samples) if cache is not None else None
        if cache is None or keys is None:
            return _as_rows(self.fn(samples))
        found = cache.get(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            first: dict[str, int] = {}
            todo = [i for i in missing if first.setdefault(keys[i], i) == i]  # embed duplicates once
            rows = _as_rows(self.fn([samples[i] for i in todo]))
            if len(rows) != len(todo):
                return rows  # a broken extractor: let the metric report the row count
            new = {keys[i]: _encode(rows[j]) for j, i in enumerate(todo)}
            cache.put(new)
            found.update(new)
        out = [found[k] for k in keys]
        if out and out[0].dtype == _TEXT:  # a transcriber: N strings
            return [bytes(row).decode("utf-8") for row in out]
        return np.stack(out)

    def gaussian_stats(self, samples: Sequence[Any],
                       compute: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
                       ) -> tuple[np.ndarray, np.ndarray] | None:
        """(mu, sigma) of the set's features, from the statistics cache when the same multiset of
        samples was reduced before; ``compute(features)`` otherwise. None when uncacheable."""
        cache = self.cache()
        keys = self._keys(samples) if cache is not None else None
        if cache is None or keys is None:
            return None
        stats = cache.get_stats(keys)
        if stats is not None:
            self.hits += len(keys)
            return stats
        mu, sigma = compute(self(samples))
        cache.put_stats(keys, mu, sigma)
        return mu, sigma


class LazyBuild:
    """An extractor callable built on first use (a call, or an attribute such as ``model``).

    :meth:`generallevel.Extractor.load` wraps it in :class:`CachedExtractor` when the extractor
    declares an ``identity``: the cache key (``cache_key``, known without building) finds the rows,
    and the model is loaded only for samples the cache does not hold. The built callable must
    report the same ``cache_key``, else cached rows could come from another model: that is refused.
    """

    def __init__(self, build: Callable[[], Any], cache_key: str, origin: str = "extractor"):
        self._build, self.cache_key, self._origin = build, cache_key, origin
        self._fn: Any = None
        self._lock = threading.Lock()

    def built(self) -> Any:
        with self._lock:
            if self._fn is None:
                fn = self._build()
                if not callable(fn):
                    raise TypeError(f"{self._origin}: the factory returned {type(fn).__name__}, not a callable")
                if str(getattr(fn, "cache_key", "")) != self.cache_key:
                    raise RuntimeError(f"{self._origin}: its identity() gave cache key {self.cache_key!r}, but the "
                                       f"built model reports {getattr(fn, 'cache_key', None)!r}; fix the plugin")
                self._fn = fn
        return self._fn

    def __call__(self, samples: Sequence[Any]) -> Any:
        return self.built()(samples)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):  # not set yet (e.g. during unpickling)
            raise AttributeError(attr)
        return getattr(self.built(), attr)


_TEXT = np.dtype("S1")  # texts are cached as their UTF-8 bytes


def _as_rows(value: Any) -> Any:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return value
    return arr


def _encode(row: Any) -> np.ndarray:
    if isinstance(row, str):
        return np.frombuffer(row.encode("utf-8"), dtype=_TEXT) if row else np.zeros(0, _TEXT)
    return np.asarray(row)


def describe_identity(**parts: Any) -> str:
    """A stable ``cache_key`` string from named parts (sorted JSON)."""
    return json.dumps(parts, sort_keys=True, default=str)
