"""Text metrics against independent references: sacrebleu, nltk, rouge-score, pycocoevalcap, codebleu,
textbook Levenshtein/ANLS and hand computations. Inputs are random sentences from a seeded RNG."""

from __future__ import annotations

import importlib.util
import math
import random
import re

import pytest

import generallevel as gl
from generallevel_builtin import _text_utils, text

TOL = 1e-9
WORDS = ["The", "cat", "sat", "on", "the", "mat", "dog", "runs", "quickly", "in", "park", "a", "big",
         "red", "ball", "isn't", "3", "café", ",", ".", "!", "(", ")", "well-known"]


def sentence(rng: random.Random, lo: int = 4, hi: int = 18, words=WORDS) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))


def corpus(seed: int, n: int = 60, max_refs: int = 1, lo: int = 4, words=WORDS):
    """n predictions; references are strings (max_refs=1) or lists of 1..max_refs strings."""
    rng = random.Random(seed)
    preds = [sentence(rng, lo, words=words) for _ in range(n)]
    if max_refs == 1:
        return preds, [sentence(rng, lo, words=words) for _ in range(n)]
    return preds, [[sentence(rng, lo, words=words) for _ in range(rng.randint(1, max_refs))] for _ in range(n)]


def compute(name: str, preds, refs, **options) -> float:
    return gl.get_metric(name).compute(preds, refs, **options)


# -- BLEU -----------------------------------------------------------------------------------------
def _tok13a(s: str) -> list[str]:
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()(s).split()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bleu4_matches_sacrebleu_corpus_bleu(seed):
    import sacrebleu

    preds, refs = corpus(seed)
    assert compute("BLEU-4", preds, refs) == pytest.approx(sacrebleu.corpus_bleu(preds, [refs]).score, abs=TOL)


def test_bleu4_two_reference_streams_match_sacrebleu():
    import sacrebleu

    preds, r1 = corpus(3)
    _, r2 = corpus(4)
    want = sacrebleu.corpus_bleu(preds, [r1, r2]).score
    assert compute("BLEU-4", preds, [[a, b] for a, b in zip(r1, r2)]) == pytest.approx(want, abs=TOL)


def test_bleu4_variable_reference_counts_match_nltk():
    from nltk.translate.bleu_score import corpus_bleu

    preds, refs = corpus(5, n=80, max_refs=3, lo=8, words=WORDS[:6] + [","])  # small vocab: 4-gram hits
    want = 100 * corpus_bleu([[_tok13a(r) for r in g] for g in refs], [_tok13a(p) for p in preds])
    assert want > 0
    assert compute("BLEU-4", preds, refs) == pytest.approx(want, abs=TOL)


def test_bleu4_tokenize_option_zh():
    import sacrebleu

    rng = random.Random(6)
    chars = "我爱自然语言处理今天天气很好猫狗"
    preds = ["".join(rng.choice(chars) for _ in range(rng.randint(6, 15))) for _ in range(40)]
    refs = ["".join(rng.choice(chars) for _ in range(rng.randint(6, 15))) for _ in range(40)]
    want = sacrebleu.corpus_bleu(preds, [refs], tokenize="zh").score
    assert want > 0
    assert compute("BLEU-4", preds, refs, tokenize="zh") == pytest.approx(want, abs=TOL)
    assert compute("BLEU-4", preds, refs) != pytest.approx(want, abs=TOL)  # 13a sees one word per line
    with pytest.raises(gl.InputError, match="tokenize"):
        compute("BLEU-4", preds, refs, tokenize="nope")


@pytest.mark.parametrize("seed,max_refs", [(10, 1), (11, 3)])
def test_bleu1_matches_nltk_unigram_corpus_bleu(seed, max_refs):
    from nltk.translate.bleu_score import corpus_bleu

    preds, refs = corpus(seed, max_refs=max_refs)
    groups = [[r] if isinstance(r, str) else r for r in refs]
    want = 100 * corpus_bleu([[_tok13a(r) for r in g] for g in groups], [_tok13a(p) for p in preds],
                             weights=(1.0,))
    assert compute("BLEU-1", preds, refs) == pytest.approx(want, abs=TOL)


def test_tokenize_13a_equals_sacrebleu_tokenizer_on_random_strings():
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    ref = Tokenizer13a()
    alphabet = list("abcXYZ0123456789 .,-;:!?'\"()[]{}<>/\\@#$%^&*_+=`~|\n\t") + [
        "&quot;", "&amp;", "&lt;", "&gt;", "<skipped>", "-\n", "é", "中", "\u00a0", "\u2028", " . ", "1.5", "3-4"]
    rng = random.Random(5)
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert text.tokenize_13a(s) == ref(s), s


@pytest.mark.parametrize("seed,max_refs,options", [(20, 1, {}), (21, 4, {}), (22, 3, {"lowercase": True}),
                                                   (23, 2, {"tokenize": "char"}), (24, 3, {"tokenize": "none"})])
def test_bleu1_fast_statistics_equal_sacrebleu_corpus_score(seed, max_refs, options):
    """The unigram fast path (own counts, sacrebleu's final formula) against sacrebleu's own
    corpus_score on random corpora: variable reference counts, punctuation, digits, case."""
    from sacrebleu.metrics import BLEU

    words = WORDS + ["Cat", "THE", "1.5", "3-4", "e.g.", "&amp;", "x,y", "--", "'s"]
    preds, refs = corpus(seed, n=300, max_refs=max_refs, lo=0, words=words)
    groups = [[r] if isinstance(r, str) else r for r in refs]
    k = max(len(g) for g in groups)
    streams = [[g[j] if j < len(g) else None for g in groups] for j in range(k)]
    scorer = BLEU(max_ngram_order=1, tokenize=options.get("tokenize", "13a"), lowercase=options.get("lowercase", False))
    want = min(scorer.corpus_score(preds, streams).score, 100.0)
    assert compute("BLEU-1", preds, refs, **options) == want  # the same float, not merely close


def test_bleu1_hand_example_with_brevity_penalty():
    # hyp: 4 tokens, 3 clipped matches ("the" x1, "cat", "mat"); ref: 6 tokens -> BP = exp(1 - 6/4)
    got = compute("BLEU-1", ["the the cat mat"], ["the cat sat on a mat"])
    assert got == pytest.approx(100 * 3 / 4 * math.exp(1 - 6 / 4), abs=TOL)


def test_bleu_identical_is_100_and_disjoint_is_0():
    preds, _ = corpus(12)
    assert compute("BLEU-4", preds, preds) == 100.0
    assert compute("BLEU-1", preds, [[p] for p in preds]) == 100.0
    assert compute("BLEU-4", ["alpha beta gamma delta"], ["one two three four"]) == 0.0


# -- ROUGE ----------------------------------------------------------------------------------------
def _rouge_score_reference(preds, refs, key, **kw) -> float:
    from rouge_score import rouge_scorer

    sc = rouge_scorer.RougeScorer([key], **kw)
    vals = [sc.score_multi([r] if isinstance(r, str) else r, p)[key].fmeasure for p, r in zip(preds, refs)]
    return 100 * sum(vals) / len(vals)


@pytest.mark.parametrize("name,key", [("ROUGE-1", "rouge1"), ("ROUGE-L", "rougeL")])
@pytest.mark.parametrize("seed,max_refs,stem", [(20, 1, False), (21, 3, False), (22, 2, True)])
def test_rouge_matches_rouge_score(name, key, seed, max_refs, stem):
    preds, refs = corpus(seed, max_refs=max_refs, lo=0)
    want = _rouge_score_reference(preds, refs, key, use_stemmer=stem)
    assert compute(name, preds, refs, use_stemmer=stem) == pytest.approx(want, abs=TOL)


def test_rouge_long_texts_match_rouge_score():
    rng = random.Random(23)
    preds = [sentence(rng, 150, 300) for _ in range(5)]
    refs = [sentence(rng, 150, 300) for _ in range(5)]
    assert compute("ROUGE-L", preds, refs) == pytest.approx(_rouge_score_reference(preds, refs, "rougeL"), abs=TOL)


def test_rouge_hand_example():
    # pred tokens: the cat sat on mat (5); ref: the cat is on the mat (6).
    # unigram overlap: the, cat, on, mat = 4 -> P=4/5, R=4/6. LCS: the cat on mat = 4 -> same.
    p, r = 4 / 5, 4 / 6
    f = 2 * p * r / (p + r)
    assert compute("ROUGE-1", ["The cat sat on mat."], ["the cat is on the mat"]) == pytest.approx(100 * f, abs=TOL)
    assert compute("ROUGE-L", ["The cat sat on mat."], ["the cat is on the mat"]) == pytest.approx(100 * f, abs=TOL)


class _CharTokenizer:
    """Reference tokenizer for pure-Chinese text: every non-space, non-punctuation character."""

    def tokenize(self, text: str) -> list[str]:
        return [c for c in text if not c.isspace() and c not in "，。！？"]


@pytest.mark.parametrize("name,key", [("ROUGE-1", "rouge1"), ("ROUGE-L", "rougeL")])
def test_rouge_cjk_tokenizer_matches_rouge_score_with_char_tokenizer(name, key):
    from rouge_score import rouge_scorer

    rng = random.Random(24)
    chars = "我爱自然语言处理今天天气很好猫狗，。"
    preds = ["".join(rng.choice(chars) for _ in range(rng.randint(3, 20))) for _ in range(50)]
    refs = ["".join(rng.choice(chars) for _ in range(rng.randint(3, 20))) for _ in range(50)]
    sc = rouge_scorer.RougeScorer([key], tokenizer=_CharTokenizer())
    want = 100 * sum(sc.score(r, p)[key].fmeasure for p, r in zip(preds, refs)) / len(preds)
    assert want > 0
    assert compute(name, preds, refs, tokenizer="cjk") == pytest.approx(want, abs=TOL)
    assert compute(name, preds, refs) == 0.0  # rouge_score's default tokenizer drops all CJK text
    assert compute(name, preds, refs, tokenizer=_CharTokenizer()) == pytest.approx(want, abs=TOL)
    assert compute(name, preds, refs, tokenizer=_CharTokenizer().tokenize) == pytest.approx(want, abs=TOL)


def test_cjk_tokenizer_mixed_text_and_bad_tokenizer():
    tok = _text_utils.rouge_tokenizer("cjk")
    assert tok("我爱 NLP-2024年，ひらがな 한국") == ["我", "爱", "nlp", "2024", "年", "ひ", "ら", "が", "な", "한", "국"]
    with pytest.raises(gl.InputError, match="tokenizer"):
        compute("ROUGE-1", ["a"], ["a"], tokenizer="whitespace")


def _lcs_dp(a, b) -> int:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a, 1):
        for j, y in enumerate(b, 1):
            table[i][j] = table[i - 1][j - 1] + 1 if x == y else max(table[i - 1][j], table[i][j - 1])
    return table[-1][-1]


def test_bit_parallel_lcs_matches_dynamic_programme():
    rng = random.Random(25)
    for _ in range(300):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 40))]
        b = [rng.choice("abcdef") for _ in range(rng.randint(0, 70))]
        assert _text_utils.lcs_length(a, b) == _lcs_dp(a, b)


# -- CIDEr ----------------------------------------------------------------------------------------
def _cider_reference(gts: dict, res: dict) -> float:
    from pycocoevalcap.cider.cider import Cider

    return 100 * float(Cider().compute_score(gts, res)[0])


def test_cider_matches_pycocoevalcap_on_pretokenized_text():
    rng = random.Random(30)
    words = "a man dog riding horse on the beach red ball playing with".split()
    preds = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(40)]
    refs = [[" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(rng.randint(1, 5))]
            for _ in range(40)]
    want = _cider_reference(dict(enumerate(refs)), {i: [p] for i, p in enumerate(preds)})
    assert want > 0
    assert compute("CIDEr", preds, refs, tokenize="none") == pytest.approx(want, abs=TOL)


def test_cider_default_tokenisation_lowercases_and_strips_punctuation():
    preds, refs = corpus(31, max_refs=4)
    groups = [[r] if isinstance(r, str) else r for r in refs]

    def norm(s: str) -> str:
        return " ".join(re.sub(r"[^\w\s]", " ", s.lower()).split())

    want = _cider_reference({i: [norm(r) for r in g] for i, g in enumerate(groups)},
                            {i: [norm(p)] for i, p in enumerate(preds)})
    assert compute("CIDEr", preds, refs) == pytest.approx(want, abs=TOL)


def test_cider_single_instance_is_zero_and_empty_references_rejected():
    assert compute("CIDEr", ["a dog on a beach"], ["a dog on a beach"]) == 0.0  # idf = log(1/1) = 0
    with pytest.raises(gl.InputError, match="empty"):
        compute("CIDEr", ["a", "b"], ["", "..."])
    with pytest.raises(gl.InputError, match="tokenize"):
        compute("CIDEr", ["a"], ["a"], tokenize="ptb")


# -- ANLS -----------------------------------------------------------------------------------------
def _lev_textbook(a: str, b: str) -> int:
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    return d[-1][-1]


def _anls_textbook(preds, refs, tau=0.5) -> float:
    """The official DocVQA/InfographicVQA script's arithmetic: the distance between the normalised
    answers, divided by the longer answer *as written*; 1 - min NL, zeroed below 1 - tau."""
    total = 0.0
    for p, group in zip(preds, refs):
        group = [group] if isinstance(group, str) else group
        values = []
        for r in group:
            a, b = " ".join(r.strip().lower().split()), " ".join(p.strip().lower().split())
            length = max(len(r.upper()), len(p.upper()))
            values.append(0.0 if length == 0 else _lev_textbook(a, b) / length)
        result = 1 - min(values)
        total += 0.0 if result < 1 - tau else result
    return 100 * total / len(preds)


def _perturb(rng: random.Random, s: str, k: int) -> str:
    chars = list(s)
    for _ in range(k):
        op = rng.randrange(3)
        pos = rng.randrange(len(chars) + 1)
        if op == 0:
            chars.insert(pos, rng.choice("abcxyz "))
        elif chars and pos < len(chars):
            if op == 1:
                del chars[pos]
            else:
                chars[pos] = rng.choice("ABCxyz")
    return "".join(chars)


@pytest.mark.parametrize("seed", [40, 41])
def test_anls_matches_textbook_computation(seed, monkeypatch):
    rng = random.Random(seed)
    refs = [[rng.choice(["invoice", "total amount", "Acme Corp", "12/05/2019", "$1,200.00"])
             for _ in range(rng.randint(1, 3))] for _ in range(120)]
    preds = [_perturb(rng, rng.choice(g), rng.randint(0, 8)) for g in refs]
    want = _anls_textbook(preds, refs)
    assert 0 < want < 100
    assert compute("ANLS", preds, refs) == pytest.approx(want, abs=TOL)
    # the pure-Python fallback (no rapidfuzz) gives the same number
    monkeypatch.setattr(text, "levenshtein_function", lambda: _text_utils._levenshtein_py)
    assert compute("ANLS", preds, refs) == pytest.approx(want, abs=TOL)


def test_levenshtein_fallback_matches_textbook():
    rng = random.Random(42)
    for _ in range(200):
        a = "".join(rng.choice("abcd") for _ in range(rng.randint(0, 15)))
        b = "".join(rng.choice("abce") for _ in range(rng.randint(0, 15)))
        assert _text_utils._levenshtein_py(a, b) == _lev_textbook(a, b)
    assert _text_utils._levenshtein_py("kitten", "sitting") == 3


def test_anls_hand_examples():
    # lev("helo world", "hello world") = 1, divided by the raw length of "Hello  World " (13), as the
    # official script does (not by the normalised 11)
    assert compute("ANLS", ["helo world"], ["Hello  World "]) == pytest.approx(100 * (1 - 1 / 13), abs=TOL)
    assert compute("ANLS", ["helo world"], ["Hello  World "]) == pytest.approx(92.3077, abs=1e-4)
    assert compute("ANLS", ["helo world", "abc"], ["Hello  World ", "xyz"]) == pytest.approx(46.1538, abs=1e-4)
    assert compute("ANLS", ["ab"], ["ac"]) == pytest.approx(50.0, abs=TOL)  # NL = 0.5 is kept
    assert compute("ANLS", ["abc"], ["xyz"]) == 0.0
    assert compute("ANLS", ["abc", "abd"], [["xyz", "abc"], "abd"]) == 100.0  # best reference
    assert compute("ANLS", [""], [""]) == 100.0
    assert compute("ANLS", ["abcd"], ["abxy"], threshold=0.4) == 0.0  # NL = 0.5 > 0.4
    with pytest.raises(gl.InputError, match="threshold"):
        compute("ANLS", ["a"], ["a"], threshold=2)


# -- CodeBLEU -------------------------------------------------------------------------------------
def _snippet(rng: random.Random) -> str:
    names = ["a", "b", "x", "total", "item"]
    body = []
    for _ in range(rng.randint(1, 4)):
        v, w = rng.choice(names), rng.choice(names)
        body.append(rng.choice([f"    {v} = {w} + {rng.randint(0, 9)}", f"    {v} = {w} * 2",
                                f"    if {v} > {w}:\n        {v} = {w}", f"    for {v} in range({w}):\n        total += {v}"]))
    return f"def f({rng.choice(names)}, {rng.choice(names)}):\n" + "\n".join(body) + f"\n    return {rng.choice(names)}"


def test_codebleu_matches_calc_codebleu():
    from codebleu import calc_codebleu

    rng = random.Random(50)
    preds = [_snippet(rng) for _ in range(12)]
    refs = [[_snippet(rng) for _ in range(rng.randint(1, 2))] for _ in range(12)]
    want = 100 * calc_codebleu(refs, preds, lang="python")["codebleu"]
    assert 0 < want < 100
    assert compute("CodeBLEU", preds, refs) == pytest.approx(want, abs=TOL)
    w = (0.1, 0.2, 0.3, 0.4)
    want_w = 100 * calc_codebleu(refs, preds, lang="python", weights=w)["codebleu"]
    assert compute("CodeBLEU", preds, refs, weights=w) == pytest.approx(want_w, abs=TOL)


def test_codebleu_identical_and_bad_options():
    code = ["def add(a, b):\n    c = a + b\n    return c"]
    assert compute("CodeBLEU", code, code) == 100.0
    with pytest.raises(gl.InputError, match="lang"):
        compute("CodeBLEU", code, code, lang="cobol")
    with pytest.raises(gl.InputError, match="weights"):
        compute("CodeBLEU", code, code, weights=(1, 0))


@pytest.mark.skipif(importlib.util.find_spec("tree_sitter_java") is not None, reason="java grammar installed")
def test_codebleu_missing_grammar_says_what_to_install():
    with pytest.raises(gl.MissingDependencyError, match="tree-sitter"):
        compute("CodeBLEU", ["class A {}"], ["class A {}"], lang="java")


# -- GPT-Score ------------------------------------------------------------------------------------
def test_judged_score_hand_computation():
    assert compute("GPT-Score", [7, 8.5, 10], None) == pytest.approx(85.0, abs=TOL)
    assert compute("GPT-Score", [1, 5, 3], None, scale=(1, 5)) == pytest.approx(50.0, abs=TOL)
    rng = random.Random(60)
    scores = [rng.uniform(0, 10) for _ in range(500)]
    assert compute("GPT-Score", scores, ["ignored"] * 500) == pytest.approx(10 * sum(scores) / 500, abs=TOL)


@pytest.mark.parametrize("scores,kw,match", [
    ([], {}, "empty"), ([1, float("nan")], {}, "finite"), ([1, None], {}, "number"),
    (["7"], {}, "number"), ([True], {}, "number"), ([11], {}, "outside"), ([-1], {}, "outside"),
    ([5], {"scale": (10, 0)}, "lo < hi"), ([5], {"scale": 10}, "pair"),
])
def test_judged_score_bad_input(scores, kw, match):
    with pytest.raises(gl.InputError, match=match):
        compute("GPT-Score", scores, None, **kw)


def test_judged_score_reference_length_mismatch():
    with pytest.raises(gl.InputError, match="length mismatch"):
        compute("GPT-Score", [1, 2], ["a"])


# -- shared input checks --------------------------------------------------------------------------
TEXT_METRICS = ["BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-L", "CIDEr", "ANLS", "CodeBLEU"]


@pytest.mark.parametrize("preds,refs,match", [
    ([], [], "empty"),
    (["a b", "c d"], ["a b"], "length mismatch"),
    (["a b", None], ["a b", "c"], r"predictions\[1\] is None"),
    (["a b", float("nan")], ["a b", "c"], r"predictions\[1\] is NaN"),
    (["a b", 3], ["a b", "c"], r"predictions\[1\] must be a string"),
    (["a b", "c"], ["a b", None], r"references\[1\] is None"),
    (["a b", "c"], ["a b", float("nan")], r"references\[1\] is NaN"),
    (["a b", "c"], ["a b", ["c", None]], r"references\[1\]\[1\] is None"),
    (["a b", "c"], ["a b", []], "empty list"),
    ("a b", ["a b"], "single string"),
    (["a b"], None, "references is None"),
])
def test_text_metrics_reject_bad_input(preds, refs, match):
    for name in TEXT_METRICS:  # one test per case: each test pays for a fresh plugin registry
        with pytest.raises(gl.InputError, match=match):
            compute(name, preds, refs)


def test_identical_predictions_score_100():
    preds, _ = corpus(70, lo=4)
    for name in ["BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-L", "ANLS"]:
        assert compute(name, preds, preds) == 100.0, name
        assert compute(name, tuple(preds), [[p, "unrelated words here"] for p in preds]) == 100.0, name


@pytest.mark.parametrize("smoothing", [1, 2, 3, 4])
def test_unigram_sentence_bleu_is_nltk_sentence_bleu(smoothing):
    """The unigram shortcut against nltk's own sentence_bleu, float for float, on random token lists:
    empty, 1-token, shorter and longer than the reference, no overlap, repeated tokens."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    smooth = getattr(SmoothingFunction(), f"method{smoothing}")
    rng = random.Random(30 + smoothing)
    vocab = ["a", "b", "c", "d", "e", "f", "g", "h"]
    cases = [([], ["a"]), (["a"], []), (["a"], ["a"]), (["a"], ["b"]), (["a", "a", "a"], ["a"])]
    for _ in range(3000):
        cases.append(([rng.choice(vocab) for _ in range(rng.randint(0, 25))],
                      [rng.choice(vocab[: rng.randint(1, 8)]) for _ in range(rng.randint(0, 25))]))
    for ref, hyp in cases:
        want = sentence_bleu([ref], hyp, weights=(1, 0, 0, 0), smoothing_function=smooth)
        got = text._unigram_sentence_bleu(ref, hyp)
        assert got == want and type(got) is type(want), (ref, hyp, got, want)


def test_sentence_bleu1_metric_equals_the_nltk_loop():
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    preds, refs = corpus(40, n=200, max_refs=3)
    groups = [[r] if isinstance(r, str) else r for r in refs]
    tok = _text_utils.word_tokenizer("nltk")
    smooth = SmoothingFunction().method4
    want = 100.0 * sum(max(sentence_bleu([tok(r)], tok(p), weights=(1, 0, 0, 0), smoothing_function=smooth)
                           for r in g) for p, g in zip(preds, groups)) / len(preds)
    assert compute("BLEU-1", preds, refs, sentence=True, smoothing=4) == min(want, 100.0)
