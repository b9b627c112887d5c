"""Which ``generallevel[extra]`` brings a missing optional library, for error messages.

``pip install generallevel`` is the light core; metric libraries come with extras (``[vision]``,
``[text]``, ...). When a metric's compute finds a library missing, the error names the extra that
brings it, read from the installed distribution's own metadata (its ``Requires-Dist`` lines), so it
can never disagree with what pip would install.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from .errors import MissingDependencyError

# import name -> distribution name, where they differ (or the import comes with another distribution)
_DIST_OF = {"sklearn": "scikit-learn", "rouge_score": "rouge-score", "tree_sitter_python": "tree-sitter-python",
            "pyworld": "pymcd", "pysptk": "pymcd", "PIL": "pillow", "pkg_resources": "setuptools",
            "cv2": "opencv-python", "yaml": "pyyaml"}
# the extra a built-in plugin's libraries come with, when a library is in several extras (scipy)
_FAMILY = {"builtin_classification": "classification", "builtin_text": "text", "builtin_audio": "audio"}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")
_PIP = re.compile(r"pip install ([^;()]+?)\s*(?:$|[;(])")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@lru_cache(maxsize=1)
def _extras() -> dict[str, list[str]]:
    """Distribution (normalised) -> the extras that bring it, in the order the metadata lists them."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        lines = requires("generallevel") or []
    except PackageNotFoundError:  # running from a source tree that is not installed
        return {}
    out: dict[str, list[str]] = {}
    for line in lines:
        name, extra = _NAME.match(line), _EXTRA.search(line)
        if name and extra and _norm(name.group(1)) != "generallevel" and extra.group(1) not in ("all", "test"):
            out.setdefault(_norm(name.group(1)), []).append(extra.group(1))
    return out


def extra_for(module: str, plugin: str = "") -> str | None:
    """The extra that brings the import ``module`` (e.g. "scipy.spatial" -> "vision"), or None."""
    top = module.split(".")[0]
    extras = _extras().get(_norm(_DIST_OF.get(top, top)), [])
    if not extras:
        return None
    preferred = _FAMILY.get(plugin, "vision")
    return preferred if preferred in extras else extras[0]


def install_hint(modules: Iterable[str], plugin: str = "") -> str:
    """``pip install 'generallevel[a,b]'`` for the extras of ``modules`` (plain pip for the others)."""
    extras, plain = [], []
    for m in modules:
        e = extra_for(m, plugin)
        if e is None:
            plain.append(_DIST_OF.get(m.split(".")[0], m.split(".")[0]))
        elif e not in extras:
            extras.append(e)
    parts = ([f"pip install 'generallevel[{','.join(extras)}]'"] if extras else []) + \
        ([f"pip install {' '.join(plain)}"] if plain else [])
    return " and ".join(parts)


def missing_dependency(metric: str, plugin: str, exc: ImportError) -> MissingDependencyError:
    """The error for ``exc`` (a ModuleNotFoundError, or a plugin's MissingDependencyError with a plain
    pip hint) raised by ``metric``'s compute: the same, naming the extra that brings the library."""
    text = str(exc)
    if isinstance(exc, MissingDependencyError):
        if "generallevel[" in text:
            return exc
        match = _PIP.search(text)
        modules = [re.split(r"[<>=!~\[]", tok)[0] for tok in match.group(1).split()] if match else []
        modules = modules or [m for m in [getattr(exc.__cause__, "name", None)] if m]
        hint = install_hint(modules, plugin) if modules else ""
        if "generallevel[" not in hint:
            return exc
        err = MissingDependencyError(f"{text} (it comes with {hint})")
    else:
        module = exc.name or text
        err = MissingDependencyError(f"{metric} needs {module.split('.')[0]}, which is not installed: "
                                     f"{install_hint([module], plugin)}")
    err.__cause__ = exc
    return err
