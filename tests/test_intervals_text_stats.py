"""CodeBLEU's sufficient statistics and CIDEr-D's resampler (generallevel_builtin.text_resampling)
equal the reference libraries on every resampled item list: codebleu.calc_codebleu and
pycocoevalcap's Cider on the drawn (duplicated) predictions and references."""

from __future__ import annotations

import random
import zlib

import numpy as np
import pytest

from generallevel import get_metric
from generallevel.intervals import CHUNK, IntervalSpec, resample_task

pytest.importorskip("codebleu")
pytest.importorskip("pycocoevalcap")


def _draws(seed: int, task: str, n: int, resamples: int) -> np.ndarray:
    """The index draws resample_task makes (documented seeding), so each resample can be rebuilt."""
    rng = np.random.default_rng([seed, zlib.crc32(task.encode())])
    step = max(1, CHUNK // n)
    return np.concatenate([rng.integers(0, n, size=(min(step, resamples - s), n)) for s in range(0, resamples, step)])


# -- CodeBLEU --------------------------------------------------------------------------------------
_NAMES = ["a", "b", "x", "total", "item", "self"]


def _python(rng: random.Random) -> str:
    """A small function: assignments, loops, branches, sometimes a docstring or comments (which
    calc_codebleu strips before the AST and data-flow matches)."""
    body = []
    if rng.random() < 0.3:
        body.append('    """Docstring."""')
    for _ in range(rng.randint(1, 4)):
        v, w = rng.choice(_NAMES), rng.choice(_NAMES)
        body.append(rng.choice([f"    {v} = {w} + {rng.randint(0, 9)}", f"    {v} = {w} * 2  # double",
                                f"    if {v} > {w}:\n        {v} = {w}", f"    for {v} in range({w}):\n        total += {v}",
                                f"    return {w}", "    pass", f"    print({w})"]))
    return f"def f({rng.choice(_NAMES)}, {rng.choice(_NAMES)}):\n" + "\n".join(body)


def _code_corpus(seed: int, n: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    preds, refs = [], []
    for _ in range(n):
        group = [_python(rng) for _ in range(rng.randint(1, 3))]
        u = rng.random()
        pred = group[0] if u < 0.2 else ("" if u < 0.25 else _python(rng))  # exact copies, empty answers
        preds.append(pred)
        refs.append(group)
    for k in range(0, n - 1, 7):  # the same item more than once in the corpus
        preds[k + 1], refs[k + 1] = preds[k], refs[k]
    return preds, refs


def _reference_codebleu(preds: list[str], refs: list[list[str]], options: dict) -> float:
    from codebleu import calc_codebleu

    w = tuple(options.get("weights", (0.25, 0.25, 0.25, 0.25)))
    return min(100.0 * calc_codebleu(refs, preds, lang=options.get("lang", "python"), weights=w)["codebleu"], 100.0)


def _check_codebleu(preds: list, refs: list, options: dict, resamples: int, task: str) -> None:
    metric = get_metric("CodeBLEU")
    raw = metric.compute(preds, refs, **options)
    iv = resample_task(metric, preds, refs, options, raw, IntervalSpec(resamples=resamples, seed=4), task)
    assert iv.method == "stats" and iv.resamples == resamples and not iv.notes
    for b, idx in enumerate(_draws(4, task, len(preds), resamples)):
        want = _reference_codebleu([preds[i] for i in idx], [refs[i] for i in idx], options)
        assert iv.samples[b] == pytest.approx(want, rel=1e-12, abs=1e-12), b


@pytest.mark.parametrize("options", [{}, {"weights": (0.1, 0.2, 0.3, 0.4)}, {"weights": (1, 0, 0, 0)},
                                     {"weights": (0, 1, 0, 0)}, {"weights": (0, 0, 1, 0)}, {"weights": (0, 0, 0, 1)}])
def test_codebleu_statistics_equal_calc_codebleu_on_each_resample(options):
    """Each component alone (unit weights) and mixed; the default beyond the old cap of 25 resamples."""
    preds, refs = _code_corpus(7, 30)
    _check_codebleu(preds, refs, options, 10 if options else 26, f"codebleu{options}")


def test_codebleu_statistics_where_components_have_nothing_to_count():
    """No data flow anywhere (calc_codebleu counts the component as 1), data flow never matched (0,
    also counted as 1), a prediction without a unigram match (BLEU 0) and an empty prediction."""
    no_flow = (["pass", "print(1)", "f()", "g(2)"], [["print(2)"], ["pass"], ["h()", "f()"], ["g(2)"]])
    unmatched = (["y = 1", "q = 2", "z = 3"], [["def f(a):\n    b = a\n    return b"], ["x = 5\ny = x"], ["z = 3"]])
    nothing = (["", "zz"], [["x = 1"], ["y = 2"]])
    from codebleu import calc_codebleu

    assert calc_codebleu(no_flow[1], no_flow[0], lang="python")["dataflow_match_score"] == 0
    for k, (preds, refs) in enumerate((no_flow, unmatched, nothing)):
        for options in ({}, {"weights": (0, 0, 0, 1)}, {"weights": (0.5, 0.5, 0, 0)}):
            _check_codebleu(preds, refs, options, 12, f"edge{k}{options}")


def test_codebleu_from_stats_of_summed_item_stats_on_random_index_lists():
    """from_stats of the summed per-item statistics, directly (no interval code), for index lists
    with repetitions, equals calc_codebleu on the indexed lists."""
    from generallevel_builtin.text_resampling import codebleu_from_stats, codebleu_stats

    preds, refs = _code_corpus(11, 25)
    stats = codebleu_stats(preds, refs)
    rng = np.random.default_rng(2)
    for size in (25, 3, 60):
        idx = rng.integers(0, len(preds), size)
        got = codebleu_from_stats(stats[idx].sum(axis=0))[0]
        assert got == pytest.approx(_reference_codebleu([preds[i] for i in idx], [refs[i] for i in idx], {}),
                                    rel=1e-12, abs=1e-12)


_OTHER = {"java": ("int f(int a) { int b = a + 1; return b; }", "int f(int a) { int c = a * 2; return c; }"),
          "javascript": ("function f(a) { let b = a + 1; return b; }", "function f(a) { const c = a; return c; }"),
          "c": ("int f(int a) { int b = a + 1; return b; }", "int f(int a) { return a; }")}


@pytest.mark.parametrize("lang", sorted(_OTHER))
def test_codebleu_statistics_in_other_languages(lang):
    """Languages whose tree-sitter grammar is installed (only Python is a project dependency)."""
    pytest.importorskip(f"tree_sitter_{lang}")
    a, b = _OTHER[lang]
    preds = [a, b, a, b.replace("1", "2"), a.replace("a", "x")]
    refs = [[b], [a, b], [a], [b], [a]]
    try:
        get_metric("CodeBLEU").compute(preds, refs, lang=lang)
    except Exception as e:  # noqa: BLE001 - an installed grammar codebleu 0.7.0 cannot load
        pytest.skip(f"grammar for {lang} not usable by codebleu: {e}")
    _check_codebleu(preds, refs, {"lang": lang}, 12, f"codebleu-{lang}")


# -- CIDEr-D ---------------------------------------------------------------------------------------
_VOCAB = "a the dog cat man woman sits runs on beach grass red blue small big ball with near".split()


def _captions(seed: int, n: int) -> tuple[list[str], list[list[str]]]:
    """Items with 1-5 references, punctuation and case (for the coco tokeniser), empty and
    one-word captions, and repeated items."""
    rng = random.Random(seed)
    sentence = lambda: " ".join(rng.choice(_VOCAB) for _ in range(rng.randint(1, 10)))  # noqa: E731
    preds, refs = [], []
    for _ in range(n):
        group = [sentence() + rng.choice(["", ".", "!"]) for _ in range(rng.randint(1, 5))]
        if rng.random() < 0.1:
            group.append("")
        u = rng.random()
        preds.append(group[0].upper() if u < 0.15 else ("" if u < 0.2 else sentence()))
        refs.append(group)
    for k in range(0, n - 1, 9):
        preds[k + 1], refs[k + 1] = preds[k], refs[k]
    return preds, refs


def _reference_cider(preds: list[str], refs: list[list[str]], tokenize) -> float:
    from pycocoevalcap.cider.cider import Cider

    from generallevel_builtin.text import _cider_tokenizer

    tok = _cider_tokenizer(tokenize)
    res = {k: [tok(p)] for k, p in enumerate(preds)}
    gts = {k: [tok(r) for r in group] for k, group in enumerate(refs)}
    return min(100.0 * float(Cider().compute_score(gts, res)[0]), 1000.0)


@pytest.mark.parametrize("tokenize", ["coco", "none", str.split])
def test_cider_resampler_equals_pycocoevalcap_on_each_resample(tokenize):
    """Beyond the old cap of 100 resamples; document frequencies come from each resampled corpus."""
    preds, refs = _captions(3, 45)
    metric = get_metric("CIDEr")
    options = {"tokenize": tokenize}
    raw = metric.compute(preds, refs, **options)
    task = f"cider-{getattr(tokenize, '__name__', tokenize)}"
    iv = resample_task(metric, preds, refs, options, raw, IntervalSpec(resamples=120, seed=8), task)
    assert iv.method == "weights" and iv.resamples == 120 and not iv.notes
    for b, idx in enumerate(_draws(8, task, len(preds), 120)):
        want = _reference_cider([preds[i] for i in idx], [refs[i] for i in idx], tokenize)
        assert iv.samples[b] == pytest.approx(want, rel=1e-9, abs=1e-9), b


def test_cider_resampler_in_small_blocks_and_degenerate_corpora(monkeypatch):
    """Resamples split into many blocks give the same values; a two-item corpus (idf log 2 or 0) and
    identical items (every df = N: idf 0, score 0) match pycocoevalcap."""
    import generallevel_builtin.text_resampling as tr

    preds, refs = _captions(5, 30)
    w = np.vstack([np.bincount(i, minlength=30) for i in _draws(1, "blocks", 30, 40)]).astype(float)
    whole = tr.cider(preds, refs)(w)
    monkeypatch.setattr(tr, "BLOCK", 1)
    assert tr.cider(preds, refs)(w) == pytest.approx(whole, rel=1e-13, abs=0)
    for b in range(5):
        idx = np.repeat(np.arange(30), w[b].astype(int))
        assert whole[b] == pytest.approx(_reference_cider([preds[i] for i in idx], [refs[i] for i in idx], "coco"),
                                         rel=1e-9, abs=1e-9)
    for p, r in ((["a dog runs", "a cat sits"], [["a dog runs fast"], ["the cat sits", "a cat"]]),
                 (["a dog", "a dog"], [["a dog runs"], ["a dog runs"]])):
        value_of = tr.cider(p, r)
        for counts in ([1, 1], [2, 0], [0, 2]):
            idx = np.repeat([0, 1], counts)
            want = _reference_cider([p[i] for i in idx], [r[i] for i in idx], "coco")
            assert value_of(np.array([counts], float))[0] == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_cider_resample_of_empty_references_only_has_no_value():
    """The metric refuses a corpus whose references are all empty; so does a resample drawing only such items."""
    from generallevel_builtin.text_resampling import cider

    value_of = cider(["a b", "c d"], [[""], ["c d e"]])
    out = value_of(np.array([[2.0, 0.0], [1.0, 1.0]]))
    assert np.isnan(out[0]) and np.isfinite(out[1])
