"""Shared pieces of the benchmark harness: result rows, the table, timers, child-process helpers.

Nothing here imports generallevel or a heavy library, so every section can be run on its own.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def log(msg: str) -> None:
    """Progress goes to stderr so that stdout carries only the final table."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Row:
    """One figure of the table. ``met`` is None when the figure has no goal or could not be measured."""

    section: str
    figure: str
    value: str
    goal: str
    met: bool | None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def met_text(self) -> str:
        return {True: "yes", False: "NO", None: "n/a"}[self.met]


def failed_row(section: str, figure: str, goal: str, error: BaseException | str) -> Row:
    """A row for a figure that could not be measured (the harness never stops on one failure)."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    text = " ".join(str(text).split())
    return Row(section, figure, "not measured", goal, None, text[:160])


def format_table(rows: Sequence[Row]) -> str:
    """A plain fixed-width table; notes go below it, numbered, so the columns stay narrow."""
    head = ["#", "Section", "Figure", "Measured", "Goal", "Met"]
    body = []
    notes = []
    for i, r in enumerate(rows, 1):
        mark = ""
        if r.note:
            notes.append(f"  [{i}] {r.note}")
            mark = f" [{i}]"
        body.append([str(i), r.section, r.figure + mark, r.value, r.goal, r.met_text])
    widths = [max(len(x[c]) for x in [head] + body) for c in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(head), line(["-" * w for w in widths])] + [line(b) for b in body]
    met = [r.met for r in rows]
    out.append("")
    out.append(f"goals met: {met.count(True)}/{sum(m is not None for m in met)}"
               f"  (not met: {met.count(False)}, not measured or no goal: {met.count(None)})")
    if notes:
        out.append("notes:")
        out += notes
    return "\n".join(out)


def seconds(x: float) -> str:
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s"


def best_of(fn: Callable[[], Any], repeat: int = 2, once_if_over: float = 5.0) -> tuple[float, Any]:
    """Best wall time of up to ``repeat`` calls (one call when it alone takes over ``once_if_over`` s)."""
    best, result = float("inf"), None
    for i in range(max(1, repeat)):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        if dt > once_if_over:
            break
    return best, result


def child_env() -> dict[str, str]:
    """Environment for child processes: this checkout's packages importable, no stray warnings."""
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def byte_compile_installed() -> str:
    """Write the .pyc files of generallevel and its built-in plugins where Python imports them from,
    as ``pip install`` of a wheel does. An editable install writes them on first import, unless
    PYTHONDONTWRITEBYTECODE is set (it is on the machines these tables come from): then every
    process would compile ~100 modules again (~0.1 s at start-up, more in each --jobs worker), which
    no installed copy does. Returns what the table's header says about it."""
    import compileall
    import importlib.util

    dirs = [d for name in ("generallevel", "generallevel_builtin")
            for d in (getattr(importlib.util.find_spec(name), "submodule_search_locations", None) or [])]
    ok = all(compileall.compile_dir(d, quiet=2) for d in dirs)
    env = " (PYTHONDONTWRITEBYTECODE is set here)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"package byte-compiled first, as pip install does{env}" + ("" if ok else "; SOME FILES FAILED TO COMPILE")


def generallevel_command() -> list[str]:
    """How to run the ``generallevel`` CLI: the console script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("generallevel")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from generallevel.cli import main; main()"]


# -- process-tree memory -------------------------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("utf-8", "replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_rss(pid: int) -> int:
    """Resident set size in bytes of ``pid`` and all its descendants (0 when they are gone)."""
    kids = _children_map()
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo += kids.get(p, [])
    return total


@dataclass
class RunResult:
    wall: float
    peak_tree_rss: int  # bytes, sampled sum over the process tree
    peak_single_rss: int  # bytes, the largest single process (getrusage of the wrapper's children)
    returncode: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the whole process tree


_WRAPPER = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
sys.stdout.write(p.stdout)
sys.stderr.write(p.stderr)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write("\\n@@BENCH %r %d %d %r\\n" % (wall, ru.ru_maxrss, p.returncode, ru.ru_utime + ru.ru_stime))
"""


def run_measured(cmd: Sequence[str], timeout: float, cwd: str | Path | None = None,
                 interval: float = 0.05) -> RunResult:
    """Run ``cmd`` in a fresh wrapper process; wall time, peak RSS of the tree (sampled) and of one process.

    The wrapper isolates ``RUSAGE_CHILDREN`` from everything this harness ran before.
    """
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd, env=child_env())
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        stop.set()
        thread.join()
        raise TimeoutError(f"{' '.join(cmd[:3])} ... did not finish within {timeout:.0f} s") from None
    stop.set()
    thread.join()
    marker = [ln for ln in err.splitlines() if ln.startswith("@@BENCH ")]
    if not marker:
        raise RuntimeError(f"benchmark wrapper failed: {err[-500:]}")
    _, wall, maxrss_kib, rc, cpu = marker[-1].split()
    err = "\n".join(ln for ln in err.splitlines() if not ln.startswith("@@BENCH "))
    return RunResult(float(wall), peak, int(maxrss_kib) * 1024, int(rc), out, err, float(cpu))


def gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.2f} GiB" if nbytes >= 2**29 else f"{nbytes / 2**20:.0f} MiB"
