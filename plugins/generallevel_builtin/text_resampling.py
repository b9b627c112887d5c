"""CodeBLEU and CIDEr under resampling of items (``evaluate --ci``): count once, then reweigh.

Both metrics are corpus statistics that used to be recomputed on every resample (capped at 25 and
100 resamples; one CodeBLEU resample of 300 items parses ~600 programs). Neither needs that:

CodeBLEU (``codebleu.calc_codebleu``)
    Its four components are ratios of corpus sums: n-gram BLEU (clipped matches and hypothesis
    n-grams per order, hypothesis and closest-reference lengths), the keyword-weighted n-gram
    match (the same with weighted unigrams, counted over reference n-grams), the AST match
    (reference subtrees found in the candidate, reference subtrees) and the data-flow match
    (matched and total reference data-flow edges). ``codebleu_stats`` counts them per item once
    (24 columns); ``codebleu_from_stats`` applies calc_codebleu's formula to summed counts, for
    every resample at once: NLTK-style brevity penalty, "method1" smoothing (0.1 for an order with
    no match), 0 when no unigram matches, and a data-flow score of 0 (no edges, or none matched)
    counted as 1, as calc_codebleu's ``dataflow_match_score or 1`` does.
CIDEr-D (pycocoevalcap ``Cider``)
    Its idf comes from the resampled corpus (document frequency = drawn items whose references hold
    the n-gram), so sums of per-item scores do not work. But with tf-idf vectors tf x idf, every
    quantity in an item's score is linear in idf^2 per n-gram: the clipped numerator sums
    min(tf_h, tf_r) tf_r idf^2 (idf >= 0 since df <= N), and the squared norms sum tf^2 idf^2. The
    resampler tokenises and counts once; per resample it takes df = weights @ incidence, idf^2 for
    every n-gram, and one sparse product gives every item's numerators and norms per order; then
    the cosines, the fixed length penalty (bigram counts: pycocoevalcap's ``length``), the per-item
    score and its weighted mean.

Each is tested equal, resample by resample, to the library on the resampled (duplicated) lists
(tests/test_intervals_text_stats.py). The codebleu package's own parser helpers (tree-sitter
grammar, comment removal, data-flow extraction) are called, so programs are read exactly as
calc_codebleu reads them; the counting and the formulas are written here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np

ORDERS = 4  # n-gram orders of both metrics
BLOCK = 2_000_000  # idf values (n-grams x resamples) held at once by the CIDEr resampler
SIGMA = 6.0  # CIDEr-D's length penalty width (pycocoevalcap's default)
# CodeBLEU's per-item statistics: [hyp_len, ref_len, matches_1..4, totals_1..4] for the n-gram BLEU
# and again for the weighted n-gram match, then AST (matched, total) and data flow (matched, total).
_BLEU, _WEIGHTED, _AST, _FLOW = slice(0, 10), slice(10, 20), slice(20, 22), slice(22, 24)
CODEBLEU_COLUMNS = 24


# -- CodeBLEU --------------------------------------------------------------------------------------
def _ngram_counts(tokens: list[str], n: int) -> Counter:
    return Counter(zip(*(tokens[k:] for k in range(n)))) if len(tokens) >= n else Counter()


def _closest(lengths: Sequence[int], hyp_len: int) -> int:
    """The reference length nearest the hypothesis length, the shorter one on a tie (as BLEU does)."""
    return min(lengths, key=lambda r: (abs(r - hyp_len), r))


def _bleu_counts(hyp: list[str], refs: list[list[str]]) -> list[float]:
    """[hyp_len, closest ref len, clipped matches per order, hypothesis n-grams per order (min 1)]."""
    matches, totals = [], []
    for n in range(1, ORDERS + 1):
        counts = _ngram_counts(hyp, n)
        best: dict = {}
        for ref in refs:
            rc = _ngram_counts(ref, n)
            for g in counts:
                best[g] = max(best.get(g, 0), rc[g])
        matches.append(sum(min(c, best[g]) for g, c in counts.items()))
        totals.append(max(1, sum(counts.values())))
    return [len(hyp), _closest([len(r) for r in refs], len(hyp))] + matches + totals


def _weighted_counts(hyp: list[str], refs: list[list[str]], keywords: frozenset) -> list[float]:
    """The weighted n-gram match's counts. It clips reference n-grams by the hypothesis (a recall),
    sums per reference, and weighs unigrams 1 for a keyword and 0.2 otherwise (accumulated in the
    reference's token order, so the floats are calc_codebleu's). Its brevity penalty sees each
    reference as a (tokens, weights) pair, whose length is 2: that quirk is kept."""
    matches, totals = [], []
    for n in range(1, ORDERS + 1):
        counts = _ngram_counts(hyp, n)
        num: float = 0
        den: float = 0
        for ref in refs:
            rc = _ngram_counts(ref, n)
            if n == 1:
                m: float = 0
                t: float = 0
                for g, c in rc.items():
                    w = 1 if g[0] in keywords else 0.2
                    m += min(c, counts[g]) * w
                    t += c * w
            else:
                m = sum(min(c, counts[g]) for g, c in rc.items())
                t = sum(rc.values())
            num += m
            den += max(1, t)
        matches.append(num)
        totals.append(den)
    return [len(hyp), _closest([2] * len(refs), len(hyp))] + matches + totals


def _subtrees(root: Any) -> list[str]:
    """The AST match's subtrees: the root and every node with children, as s-expressions."""
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        out.append(str(node))
        stack.extend(c for c in node.children if c.children)
    return out


class _CodeReader:
    """Parses and extracts data flow once per distinct program text (candidates repeat per reference)."""

    def __init__(self, lang: str) -> None:
        from codebleu.dataflow_match import dfg_function
        from codebleu.utils import get_tree_sitter_language
        from tree_sitter import Parser

        self.lang = lang
        self.parser = Parser()
        self.parser.language = get_tree_sitter_language(lang)
        self.flow_parser = [self.parser, dfg_function[lang]]
        self._trees: dict[str, list[str]] = {}
        self._flows: dict[str, Counter] = {}

    def clean(self, code: str) -> str:
        """Comments and docstrings removed, the text kept as it is when removal fails (as calc_codebleu)."""
        from codebleu.parser import remove_comments_and_docstrings

        try:
            return remove_comments_and_docstrings(code, self.lang)
        except Exception:  # noqa: BLE001 - calc_codebleu keeps the text on any failure
            return code

    def subtrees(self, code: str) -> list[str]:
        if code not in self._trees:
            self._trees[code] = _subtrees(self.parser.parse(bytes(code, "utf8")).root_node)
        return self._trees[code]

    def flows(self, code: str) -> Counter:
        """Normalised data-flow edges as a multiset (matching removes each candidate edge once used)."""
        if code not in self._flows:
            from codebleu.dataflow_match import get_data_flow, normalize_dataflow

            edges = normalize_dataflow(get_data_flow(code, self.flow_parser))
            self._flows[code] = Counter((v, rel, tuple(parents)) for v, rel, parents in edges)
        return self._flows[code]


def _structure_counts(reader: _CodeReader, hyp: str, refs: list[str]) -> list[float]:
    """AST (matched, total) and data-flow (matched, total) summed over the item's references.
    calc_codebleu cleans the candidate again before each reference (cumulatively), so the k-th
    reference is compared with the candidate cleaned k + 1 times."""
    ast_m = ast_t = flow_m = flow_t = 0
    cand = hyp
    for ref in refs:
        cand = reader.clean(cand)
        ref = reader.clean(ref)
        cand_trees = set(reader.subtrees(cand))
        ref_trees = reader.subtrees(ref)
        ast_m += sum(1 for s in ref_trees if s in cand_trees)
        ast_t += len(ref_trees)
        ref_flows = reader.flows(ref)
        if ref_flows:
            flow_t += sum(ref_flows.values())
            flow_m += sum((ref_flows & reader.flows(cand)).values())
    return [ast_m, ast_t, flow_m, flow_t]


def codebleu_stats(predictions: Any, references: Any, *, lang: str = "python",
                   weights: Sequence[float] = (0.25, 0.25, 0.25, 0.25)) -> np.ndarray | None:
    """Per item the 24 counts of CodeBLEU's four components; None without codebleu or the grammar
    (the metric itself then fails, and nothing is resampled)."""
    from ._text_utils import text_pairs

    preds, refs = text_pairs(predictions, references)
    try:
        from codebleu.codebleu import PACKAGE_DIR

        reader = _CodeReader(lang)
        with open(PACKAGE_DIR / "keywords" / f"{lang}.txt", encoding="utf-8") as f:
            keywords = frozenset(line.strip() for line in f)
    except (ImportError, ValueError, OSError, KeyError, AssertionError):
        return None
    out = np.empty((len(preds), CODEBLEU_COLUMNS))
    for i, (pred, group) in enumerate(zip(preds, refs)):
        hyp, group = pred.strip(), [r.strip() for r in group]
        hyp_tokens, ref_tokens = hyp.split(), [r.split() for r in group]
        out[i, _BLEU] = _bleu_counts(hyp_tokens, ref_tokens)
        out[i, _WEIGHTED] = _weighted_counts(hyp_tokens, ref_tokens, keywords)
        out[i, 20:] = _structure_counts(reader, hyp, group)
    return out


def _corpus_bleu(stats: np.ndarray) -> np.ndarray:
    """Corpus BLEU-4 (uniform weights) from summed [hyp_len, ref_len, matches 1..4, totals 1..4]
    rows, as codebleu's bleu.corpus_bleu: 0 without a unigram match, method1 smoothing, and the
    brevity penalty 1 above the reference length, 0 for an empty corpus, exp(1 - r/h) otherwise."""
    hyp, ref = stats[:, 0], stats[:, 1]
    matches, totals = stats[:, 2:2 + ORDERS], stats[:, 2 + ORDERS:2 + 2 * ORDERS]
    smoothed = np.where(matches == 0, matches + 0.1, matches)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = (0.25 * np.log(smoothed / totals)).sum(axis=1)
        bp = np.where(hyp > ref, 1.0, np.where(hyp == 0, 0.0, np.exp(1 - ref / np.where(hyp == 0, 1, hyp))))
        return np.where(matches[:, 0] == 0, 0.0, bp * np.exp(log_p))


def codebleu_from_stats(sums: np.ndarray, *, lang: str = "python",
                        weights: Sequence[float] = (0.25, 0.25, 0.25, 0.25)) -> np.ndarray:
    """CodeBLEU in percent from summed item statistics, one row per resample."""
    s = np.atleast_2d(np.asarray(sums, dtype=float))
    alpha, beta, gamma, theta = (float(w) for w in weights)
    ngram, weighted = _corpus_bleu(s[:, _BLEU]), _corpus_bleu(s[:, _WEIGHTED])
    with np.errstate(divide="ignore", invalid="ignore"):
        syntax = s[:, 20] / s[:, 21]  # never 0/0: every reference has its root as a subtree
        flow = np.where(s[:, 23] > 0, s[:, 22] / np.where(s[:, 23] > 0, s[:, 23], 1.0), 0.0)
    flow = np.where(flow == 0, 1.0, flow)  # calc_codebleu's `dataflow_match_score or 1`
    score = alpha * ngram + beta * weighted + gamma * syntax + theta * flow
    return np.minimum(100.0 * score, 100.0)


# -- CIDEr-D ---------------------------------------------------------------------------------------
def _cider_counts(sentence: str) -> Counter:
    """n-gram counts for n = 1..4 of a whitespace-tokenised sentence, as pycocoevalcap's precook."""
    words = sentence.split()
    counts: Counter = Counter()
    for n in range(1, ORDERS + 1):
        counts.update(zip(*(words[k:] for k in range(n))))
    return counts


def cider(predictions: Any, references: Any, *, tokenize: Any = "coco") -> Callable[[np.ndarray], np.ndarray]:
    """The CIDEr-D resampler: a function of (resamples x items) draw counts -> CIDEr-D x 100 each."""
    from scipy import sparse

    from ._text_utils import text_pairs
    from .text import _cider_tokenizer

    preds, refs = text_pairs(predictions, references)
    tok = _cider_tokenizer(tokenize)
    n = len(preds)
    vocab: dict[tuple, int] = {}
    col = lambda g: vocab.setdefault(g, len(vocab))  # noqa: E731
    hyp_counts = [{col(g): c for g, c in _cider_counts(tok(p)).items()} for p in preds]
    ref_counts, owner, present = [], [], []
    for i, group in enumerate(refs):
        seen: set[int] = set()
        for r in group:
            counts = {col(g): c for g, c in _cider_counts(tok(r)).items()}
            ref_counts.append(counts)
            owner.append(i)
            seen.update(counts)
        present.append(sorted(seen))
    G, R = len(vocab), len(ref_counts)
    order = np.zeros(max(G, 1), dtype=np.intp)
    for g, j in vocab.items():
        order[j] = len(g) - 1
    owner_arr = np.asarray(owner, dtype=np.intp)
    # incidence (n-grams x items): the n-gram is in one of the item's references (its document frequency)
    inc_rows = np.concatenate([np.asarray(p, dtype=np.intp) for p in present]) if G else np.zeros(0, np.intp)
    inc_cols = np.repeat(np.arange(n), [len(p) for p in present])
    incidence = sparse.csr_matrix((np.ones(len(inc_rows)), (inc_rows, inc_cols)), shape=(max(G, 1), n))
    # one (outputs x n-grams) matrix: its product with idf^2 gives hypothesis norms^2 (4 per item),
    # reference norms^2 and clipped numerators (4 per reference)
    entries: list[tuple[int, int, float]] = []  # (output row, n-gram, coefficient of its idf^2)
    for i, counts in enumerate(hyp_counts):
        entries.extend((4 * i + order[g], g, c * c) for g, c in counts.items())
    for j, counts in enumerate(ref_counts):
        hyp = hyp_counts[owner[j]]
        entries.extend((4 * n + 4 * j + order[g], g, c * c) for g, c in counts.items())
        entries.extend((4 * n + 4 * R + 4 * j + order[g], g, min(hyp[g], c) * c) for g, c in counts.items() if g in hyp)
    rows, cols, vals = (np.array(x, dtype=float) for x in zip(*entries)) if entries else (np.zeros(0),) * 3
    linear = sparse.csr_matrix((vals, (rows.astype(np.intp), cols.astype(np.intp))), shape=(4 * n + 8 * R, max(G, 1)))
    bigrams = lambda s: max(0, len(s.split()) - 1)  # noqa: E731 - pycocoevalcap's "length"
    hyp_len = np.array([bigrams(tok(p)) for p in preds], dtype=float)
    ref_len = np.array([bigrams(tok(r)) for group in refs for r in group], dtype=float)
    penalty = np.e ** (-((hyp_len[owner_arr] - ref_len) ** 2) / (2 * SIGMA ** 2))
    per_item = sparse.csr_matrix((penalty, (owner_arr, np.arange(R))), shape=(n, R))  # sums an item's refs
    n_refs = np.bincount(owner_arr, minlength=n).astype(float)
    has_ref_ngram = np.asarray(incidence.sum(axis=0)).ravel() > 0  # items with a non-empty reference

    def block(w: np.ndarray) -> np.ndarray:
        N = w.sum(axis=1)
        df = np.asarray((incidence @ w.T))  # (n-grams, resamples)
        idf = np.log(N)[None, :] - np.log(np.maximum(1.0, df))
        sums = linear @ (idf * idf)  # (outputs, resamples)
        h = np.sqrt(sums[:4 * n]).reshape(n, 4, -1)[owner_arr]
        r = np.sqrt(sums[4 * n:4 * n + 4 * R]).reshape(R, 4, -1)
        num = sums[4 * n + 4 * R:].reshape(R, 4, -1)
        both = (h != 0) & (r != 0)
        cos = np.where(both, num / np.where(both, h * r, 1.0), num)
        score = (per_item @ cos.mean(axis=1)) / n_refs[:, None] * 10.0  # (items, resamples)
        value = np.einsum("bi,ib->b", w, score) / N
        value = np.where(w[:, has_ref_ngram].sum(axis=1) > 0, value, np.nan)  # the metric refuses these
        return np.minimum(100.0 * value, 1000.0)

    def value_of(weights: np.ndarray) -> np.ndarray:
        weights = np.atleast_2d(np.asarray(weights, dtype=float))
        step = max(1, BLOCK // max(G, linear.shape[0]))  # bounds (n-grams x rows) and (outputs x rows)
        return np.concatenate([block(weights[s:s + step]) for s in range(0, len(weights), step)])

    return value_of
