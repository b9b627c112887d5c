"""Classification metrics against scikit-learn / scipy (to 1e-9) and hand-computed cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import generallevel as gl

TOL = 1e-9


def compute(name, p, r, **kw):
    return gl.get_metric(name).compute(p, r, **kw)


@pytest.fixture(scope="module")
def sk():
    from sklearn import metrics

    return metrics


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def _noisy(rng, n, k, p_correct=0.6):
    """References in 0..k-1 and predictions that are right with probability p_correct."""
    r = rng.integers(0, k, n)
    p = np.where(rng.random(n) < p_correct, r, rng.integers(0, k, n))
    return p, r


# -- Acc / Macro-Acc / Frame-Acc ------------------------------------------------------------------
def test_acc_matches_sklearn_ints_strings_and_lists(sk, rng):
    p, r = _noisy(rng, 5000, 7)
    assert compute("Acc", p, r) == pytest.approx(100 * sk.accuracy_score(r, p), abs=TOL)
    ps, rs = [f"c{x}" for x in p], [f"c{x}" for x in r]
    assert compute("ACC", ps, rs) == pytest.approx(100 * sk.accuracy_score(rs, ps), abs=TOL)
    assert compute("accuracy", p.tolist(), r.tolist()) == pytest.approx(100 * sk.accuracy_score(r, p), abs=TOL)


def test_acc_multilabel_indicator_is_subset_accuracy(sk, rng):
    r = rng.integers(0, 2, (400, 4))
    p = np.where(rng.random((400, 4)) < 0.8, r, 1 - r)
    assert compute("Acc", p, r) == pytest.approx(100 * sk.accuracy_score(r, p), abs=TOL)


def test_acc_sequences_and_sets():
    # lists compare in order (e.g. an ordering task), sets as sets
    assert compute("Acc", [[1, 2, 3], [3, 2, 1]], [[1, 2, 3], [1, 2, 3]]) == 50.0
    assert compute("Acc", [{"a", "b"}, {"c"}], [{"b", "a"}, {"d"}]) == 50.0


def test_acc_edges():
    assert compute("Acc", ["a", "b"], ["a", "b"]) == 100.0
    assert compute("Acc", [1, 2], [2, 1]) == 0.0
    with pytest.raises(gl.InputError, match="empty"):
        compute("Acc", [], [])
    with pytest.raises(gl.InputError, match="length mismatch"):
        compute("Acc", [1, 2, 3], [1, 2])
    with pytest.raises(gl.InputError, match=r"predictions\[1\]"):
        compute("Acc", [1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(gl.InputError, match=r"references\[0\]"):
        compute("Acc", ["a", "b"], [None, "b"])
    with pytest.raises(gl.InputError, match="strings but references are numbers"):
        compute("Acc", ["1", "2"], [1, 2])
    with pytest.raises(gl.InputError, match="all be strings or all numbers"):
        compute("Acc", ["1", 2], ["1", "2"])
    with pytest.raises(gl.InputError, match="single string"):
        compute("Acc", "abc", "abc")


def test_macro_acc_matches_balanced_accuracy(sk, rng):
    p, r = _noisy(rng, 3000, 6, 0.5)
    r[r == 5] = 4  # class 5 only predicted, never a reference: sklearn drops it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = 100 * sk.balanced_accuracy_score(r, p)
    assert compute("Macro-Acc", p, r) == pytest.approx(want, abs=TOL)
    ps, rs = [f"k{x}" for x in p], [f"k{x}" for x in r]
    assert compute("Balanced-Acc", ps, rs) == pytest.approx(want, abs=TOL)
    # far-apart integer labels take the np.unique path
    assert compute("Macro-Acc", p * 10**9, r * 10**9) == pytest.approx(want, abs=TOL)


def test_macro_acc_hand_and_edges():
    # class a: 1/2 right, class b: 1/1 right -> (0.5 + 1) / 2
    assert compute("Macro-Acc", ["a", "b", "b"], ["a", "a", "b"]) == pytest.approx(75.0)
    assert compute("Macro-Acc", [0, 1], [1, 0]) == 0.0
    with pytest.raises(gl.InputError):
        compute("Macro-Acc", [0, 1], [0])


def test_frame_acc_pools_frames(sk, rng):
    videos_p, videos_r = [], []
    for n in (5, 17, 1, 40):
        p, r = _noisy(rng, n, 4)
        videos_p.append(p.tolist())
        videos_r.append(r.tolist())
    flat_p, flat_r = sum(videos_p, []), sum(videos_r, [])
    want = 100 * sk.accuracy_score(flat_r, flat_p)
    assert compute("Frame-Acc", videos_p, videos_r) == pytest.approx(want, abs=TOL)
    assert compute("Fram-Acc", flat_p, flat_r) == pytest.approx(want, abs=TOL)
    with pytest.raises(gl.InputError, match="video 1"):
        compute("Frame-Acc", [[1, 2], [1]], [[1, 2], [1, 2]])


# -- string answers -------------------------------------------------------------------------------
def test_exact_accuracy_hand():
    assert compute("E-Acc", ["Hello   World ", "foo", "x"], ["hello world", "bar", ["y", "X"]]) == pytest.approx(
        200 / 3)
    assert compute("E-Acc", ["a.", "b"], ["a", "b"]) == 50.0  # punctuation is kept
    with pytest.raises(gl.InputError, match="must be a string"):
        compute("E-Acc", [1], ["1"])


def test_em_at_1_squad_normalisation_and_ranked_lists():
    preds = ["The Cat!", ["a dog", "cat"], [], "two"]
    refs = ["cat", ["dog", "hound"], "anything", ["2", "Two."]]
    # hits: 'cat' == 'cat'; top-1 'dog' in golds; empty ranking is a miss; 'two' == 'two'
    assert compute("EM@1", preds, refs) == 75.0
    assert compute("EM", ["The Cat!"], ["cat"], normalize=False) == 0.0
    with pytest.raises(gl.InputError, match="empty list of gold"):
        compute("EM@1", ["a"], [[]])
    with pytest.raises(gl.InputError, match="missing value"):
        compute("EM@1", [None], ["a"])


# -- F1 -------------------------------------------------------------------------------------------
def test_f1_binary_default_and_macro_default(sk, rng):
    p, r = _noisy(rng, 4000, 2, 0.7)
    assert compute("F1", p, r) == pytest.approx(100 * sk.f1_score(r, p), abs=TOL)
    assert compute("F1", p.astype(bool), r.astype(bool)) == pytest.approx(100 * sk.f1_score(r, p), abs=TOL)
    p, r = _noisy(rng, 4000, 5, 0.5)
    assert compute("F1 Score", p, r) == pytest.approx(100 * sk.f1_score(r, p, average="macro"), abs=TOL)
    # two string classes: no natural positive class, so macro unless pos_label is given
    ps = np.where(p % 2 == 0, "no", "yes").tolist()
    rs = np.where(r % 2 == 0, "no", "yes").tolist()
    assert compute("F1", ps, rs) == pytest.approx(100 * sk.f1_score(rs, ps, average="macro"), abs=TOL)
    assert compute("F1", ps, rs, pos_label="yes") == pytest.approx(
        100 * sk.f1_score(rs, ps, pos_label="yes"), abs=TOL)


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_f1_averages_and_label_subsets(sk, rng, average):
    p, r = _noisy(rng, 3000, 6, 0.4)
    assert compute("F1", p, r, average=average) == pytest.approx(
        100 * sk.f1_score(r, p, average=average), abs=TOL)
    labels = [0, 2, 3, 9]  # 9 never occurs: zero counts, F1 0 (sklearn zero_division)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = 100 * sk.f1_score(r, p, average=average, labels=labels, zero_division=0)
    assert compute("F1", p, r, average=average, labels=labels) == pytest.approx(want, abs=TOL)


def test_f1_binary_edges(sk):
    # only the negative class present: sklearn's zero_division value (0 by default, or as given)
    assert compute("F1", [0, 0], [0, 0]) == 0.0
    assert compute("F1", [0, 0], [0, 0], zero_division=1.0) == 100.0
    assert compute("F1", [1, 1, 0], [1, 1, 0]) == 100.0
    assert compute("F1", [1, 1, 0], [0, 0, 1]) == 0.0
    with pytest.raises(gl.InputError, match="at most 2 labels"):
        compute("F1", [0, 1, 2], [0, 1, 2], average="binary")
    with pytest.raises(gl.InputError, match="pos_label"):
        compute("F1", ["a", "b"], ["a", "b"], pos_label="c")
    with pytest.raises(gl.InputError, match="unknown average"):
        compute("F1", [0, 1], [0, 1], average="samples")
    with pytest.raises(gl.InputError):
        compute("F1", [0, float("nan")], [0, 1])


def _random_sets(rng, n, vocab):
    gold = [set(rng.choice(vocab, rng.integers(0, 4), replace=False).tolist()) for _ in range(n)]
    pred = []
    for g in gold:
        keep = {x for x in g if rng.random() < 0.7}
        extra = set(rng.choice(vocab, rng.integers(0, 2), replace=False).tolist())
        pred.append(keep | extra)
    return pred, gold


def test_f1_and_micro_f1_on_label_sets_match_multilabel_sklearn(sk, rng):
    from sklearn.preprocessing import MultiLabelBinarizer

    vocab = [f"L{i}" for i in range(9)]
    pred, gold = _random_sets(rng, 500, vocab)
    mlb = MultiLabelBinarizer(classes=vocab)
    P, G = mlb.fit_transform(pred), mlb.transform(gold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        micro = 100 * sk.f1_score(G, P, average="micro")
        present = np.flatnonzero(P.sum(0) + G.sum(0))
        macro = 100 * sk.f1_score(G, P, average="macro", labels=present)
    assert compute("Micro-F1", [list(s) for s in pred], [list(s) for s in gold]) == pytest.approx(micro, abs=TOL)
    assert compute("F1", pred, gold) == pytest.approx(micro, abs=TOL)  # sets default to micro
    assert compute("F1", pred, gold, average="macro") == pytest.approx(macro, abs=TOL)
    assert compute("Micro-F1", P, G) == pytest.approx(micro, abs=TOL)  # indicator matrices
    sub = ["L1", "L4"]
    want = 100 * sk.f1_score(G, P, average="micro", labels=[vocab.index(x) for x in sub])
    assert compute("Micro-F1", pred, gold, labels=sub) == pytest.approx(want, abs=TOL)


def test_micro_f1_single_label_and_spans(sk, rng):
    p, r = _noisy(rng, 3000, 8)
    assert compute("Micro-F1", p, r) == pytest.approx(100 * sk.f1_score(r, p, average="micro"), abs=TOL)
    assert compute("Micro-F1", p, r, labels=[1, 2]) == pytest.approx(
        100 * sk.f1_score(r, p, average="micro", labels=[1, 2]), abs=TOL)
    # NER spans (type, start, end): TP = 2, FP = 1, FN = 2 -> 2*2 / (2*2 + 1 + 2) = 4/7
    pred = [[("PER", 0, 2), ("LOC", 5, 6)], [("ORG", 1, 3)]]
    gold = [[("PER", 0, 2), ("LOC", 4, 6)], [("ORG", 1, 3), ("PER", 7, 8)]]
    assert compute("Micro-F1", pred, gold) == pytest.approx(400 / 7)
    assert compute("Micro-F1", [[], []], [[], []]) == 0.0  # nothing to find: sklearn's zero_division
    with pytest.raises(gl.InputError, match="not a set of labels"):
        compute("Micro-F1", [["a"], "b"], [["a"], ["b"]])


def test_token_f1_squad():
    # 'the cat sat on mat' vs 'a cat sat on the mat' -> identical after normalisation
    # 'blue house' vs 'the red house' -> overlap 1: P = R = 1/2; best of the golds is taken
    got = compute("F1", ["the cat sat on mat", "blue house"], ["a cat sat on the mat", ["the red house", "x"]],
                  mode="token")
    assert got == pytest.approx(100 * (1.0 + 0.5) / 2)
    assert compute("F1", ["", "a"], ["the", "b"], mode="token") == 50.0  # both empty after normalising = match
    with pytest.raises(gl.InputError, match="unknown mode"):
        compute("F1", ["a"], ["a"], mode="chars")


def test_token_f1_drops_golds_that_normalise_to_nothing_as_squad_v2():
    """evaluate-v2.0.py keeps only gold answers with a non-empty normalisation (all empty: the question
    is unanswerable, gold ['']). Hand-worked: an empty answer against ['the', 'Paris'] is compared with
    'Paris' only: F1 0 (the old rule matched it with 'the' for 1); 'Paris' scores 1; an empty answer to
    an unanswerable ['the', '.'] scores 1 and 'Paris' 0."""
    assert compute("F1", [""], [["the", "Paris"]], mode="token") == 0.0
    assert compute("F1", ["Paris"], [["the", "Paris"]], mode="token") == 100.0
    assert compute("F1", ["", "Paris"], [["the", "."], ["the", "."]], mode="token") == 50.0
    assert compute("F1", ["an"], [["A", "in Paris"]], mode="token") == 0.0  # 'an' normalises to nothing too


# -- AUC ------------------------------------------------------------------------------------------
def test_auc_binary_matches_sklearn_with_ties(sk, rng):
    y = rng.integers(0, 2, 3000)
    s = np.round(rng.random(3000) + 0.3 * y, 2)  # many ties
    assert compute("AUC", s, y) == pytest.approx(100 * sk.roc_auc_score(y, s), abs=TOL)
    ys = np.where(y == 1, "pos", "neg").tolist()  # positive = the larger label, as sklearn
    assert compute("ROC-AUC", s.tolist(), ys) == pytest.approx(100 * sk.roc_auc_score(ys, s), abs=TOL)
    two_col = np.c_[1 - s, s]
    assert compute("AUROC", two_col, y) == pytest.approx(100 * sk.roc_auc_score(y, s), abs=TOL)
    # with pos_label the 1-D scores are those of that label
    assert compute("AUC", s, y, pos_label=0) == pytest.approx(100 * sk.roc_auc_score(1 - y, s), abs=TOL)
    assert compute("AUC", two_col, y, pos_label=0) == pytest.approx(100 * sk.roc_auc_score(1 - y, 1 - s), abs=TOL)


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_auc_multiclass_ovr(sk, rng, average):
    y = rng.integers(0, 4, 2000)
    logits = rng.normal(size=(2000, 4)) + 1.5 * np.eye(4)[y]
    prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    want = 100 * sk.roc_auc_score(y, prob, multi_class="ovr", average=average)
    assert compute("AUC", prob, y, average=average) == pytest.approx(want, abs=TOL)
    names = np.array(["d", "c", "b", "a"])  # column k scores names[k]; sklearn wants sorted columns
    want = 100 * sk.roc_auc_score(names[y], prob[:, ::-1], multi_class="ovr", average=average)
    assert compute("AUC", prob, names[y].tolist(), labels=list(names), average=average) == pytest.approx(
        want, abs=TOL)


def test_auc_edges():
    assert compute("AUC", [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 100.0
    assert compute("AUC", [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert compute("AUC", [0.5, 0.5], [0, 1]) == 50.0
    with pytest.raises(gl.InputError, match="only one class"):
        compute("AUC", [0.1, 0.2], [1, 1])
    with pytest.raises(gl.InputError, match=r"predictions\[1\]"):
        compute("AUC", [0.1, float("nan")], [0, 1])
    with pytest.raises(gl.InputError, match="shape"):
        compute("AUC", [0.1, 0.2, 0.3], [0, 1, 2])
    with pytest.raises(gl.InputError, match="no reference instance"):
        compute("AUC", np.eye(3)[[0, 1, 1]], [0, 1, 1], labels=[0, 1, 2])


def test_auc_tracking_success_curve():
    # thresholds 0, .05, ..., 1 (21); an overlap o beats the thresholds below it:
    # 0.0 -> 0, 0.5 -> 10, 1.0 -> 20, 0.7 -> 14 (0.7 > 0.7 is false)
    assert compute("AUC", [0.0, 0.5, 1.0], None, curve="success") == pytest.approx(100 * 30 / 63, abs=TOL)
    per_seq = compute("AUC", [[0.0, 0.5, 1.0], [0.7]], None, curve="success")  # mean of per-sequence AUCs
    assert per_seq == pytest.approx(100 * (30 / 63 + 14 / 21) / 2, abs=TOL)
    rng = np.random.default_rng(3)
    o = rng.random(500)
    brute = np.mean([np.mean([x > k / 20 for x in o]) for k in range(21)])
    assert compute("AUC", o, None, curve="success") == pytest.approx(100 * brute, abs=TOL)
    with pytest.raises(gl.InputError, match=r"\[0, 1\]"):
        compute("AUC", [0.5, 1.2], None, curve="success")
    with pytest.raises(gl.InputError, match="need one entry per frame"):
        compute("AUC", [0.5], [1], curve="success")  # references are boxes per frame, not labels


# -- PCC ------------------------------------------------------------------------------------------
def test_pcc_matches_scipy(rng):
    from scipy.stats import pearsonr

    x = rng.normal(size=500)
    y = 0.3 * x + rng.normal(size=500)
    assert compute("PCC", x, y) == pytest.approx(100 * pearsonr(x, y)[0], abs=TOL)
    assert compute("Pearson", x.tolist(), (-y).tolist()) == pytest.approx(100 * pearsonr(x, -y)[0], abs=TOL)


def test_pcc_edges():
    m = gl.get_metric("PCC")
    assert m.compute([1, 2, 3], [2, 4, 6]) == pytest.approx(100.0)
    neg = m.compute([1, 2, 3], [3, 2, 1])
    assert neg == pytest.approx(-100.0) and m.normalize(neg) == 0.0
    with pytest.raises(gl.InputError, match="constant"):
        m.compute([1, 1, 1], [1, 2, 3])
    with pytest.raises(gl.InputError, match="at least 2"):
        m.compute([1], [1])
    with pytest.raises(gl.InputError):
        m.compute([1, float("nan")], [1, 2])


# -- rates ----------------------------------------------------------------------------------------
def test_success_rate():
    assert compute("SuccessRate", [True, False, True, True], None) == 75.0
    assert compute("Successful rate", [1, 0, 0, 0], None) == 25.0
    assert compute("SuccessRate", [0.2, 0.7, 0.5], 0.5) == pytest.approx(200 / 3)  # score >= threshold
    assert compute("SuccessRate", [0.2, 0.7, 0.5], None, threshold=0.6) == pytest.approx(100 / 3)
    assert compute("SuccessRate", [0.2, 0.7], [0.1, 0.8]) == 50.0  # per-instance thresholds
    with pytest.raises(gl.InputError, match="not a 0/1 success flag"):
        compute("SuccessRate", [0.2, 1.0], None)
    with pytest.raises(gl.InputError, match="not both"):
        compute("SuccessRate", [1, 0], 0.5, threshold=0.5)
    with pytest.raises(gl.InputError, match="length mismatch"):
        compute("SuccessRate", [0.2, 0.7], [0.1])
    with pytest.raises(gl.InputError):
        compute("SuccessRate", [], None)


def test_user_preference():
    assert compute("UserPreference", ["win", "tie", "loss", "Win"], None) == pytest.approx(62.5)
    assert compute("User preference rates", [1, 0.5, 0, 1], None) == pytest.approx(62.5)
    assert compute("UserPreference", ["tie", "win"], None, tie=0.0) == 50.0
    with pytest.raises(gl.InputError, match="not a vote"):
        compute("UserPreference", ["win", "maybe"], None)
    with pytest.raises(gl.InputError, match="not a vote"):
        compute("UserPreference", [1, float("nan")], None)


def test_every_family_member_resolves_and_declares_percent():
    for name in ("Acc", "Macro-Acc", "E-Acc", "EM@1", "F1", "Micro-F1", "AUC", "PCC", "Frame-Acc",
                 "SuccessRate", "UserPreference"):
        m = gl.get_metric(name)
        assert m.unit == "percent" and callable(m._resolve())


def test_success_auc_from_boxes_equals_success_auc_of_hand_ious():
    # sequence 0: identical box (IoU 1), half-overlapping box (IoU 1/3), missing prediction (0)
    preds = [[[0, 0, 2, 2], [1, 0, 2, 2], None], [[5, 5, 1, 1]]]
    refs = [[[0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 2]], [[5, 5, 2, 2]]]  # seq 1: IoU 1/4
    m = gl.get_metric("AUC")
    from_boxes = m.compute(preds, refs, curve="success")
    from_ious = m.compute([[1.0, 1 / 3, 0.0], [0.25]], None, curve="success")
    assert from_boxes == pytest.approx(from_ious, abs=1e-12)
    with pytest.raises(gl.InputError, match="one entry per frame"):
        m.compute([[[0, 0, 1, 1]]], [[[0, 0, 1, 1], [0, 0, 1, 1]]], curve="success")


def test_success_auc_of_identical_fractional_boxes_is_an_exact_overlap_of_one():
    # the float intersection of this box with itself exceeds its area by an ulp (IoU 1.0000000000000002)
    box = [63.69616873214543, 26.97867137638703, 4.0973523936194685, 1.6527635528529094]
    w = min(box[0] + box[2], box[0] + box[2]) - box[0]
    h = min(box[1] + box[3], box[1] + box[3]) - box[1]
    assert w * h / (2 * box[2] * box[3] - w * h) > 1.0  # the rounding the metric must not pass on
    m = gl.get_metric("AUC")
    # IoU exactly 1 is above 20 of the 21 thresholds (0, .05, ..., .95; not 1.0): 100 * 20/21
    assert m.compute([[box, box]], [[box, box]], curve="success") == pytest.approx(100 * 20 / 21, abs=1e-12)
    from generallevel_builtin.classification import _sequence_overlaps

    assert _sequence_overlaps([[box]], [[box]])[0].tolist() == [1.0]


def test_success_auc_names_a_box_with_a_negative_size():
    preds, refs = [[[0, 0, 2, 2], [3, 3, -1, 1]]], [[[0, 0, 2, 2], [0, 0, 2, 2]]]
    with pytest.raises(gl.InputError, match=r"sequence 0, frame 1: the predicted box .* negative width"):
        gl.get_metric("AUC").compute(preds, refs, curve="success")


def _per_sequence_success_auc(preds, refs) -> float:
    from generallevel_builtin.classification import _sequence_overlaps, success_auc

    return success_auc(_sequence_overlaps(preds, refs))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_success_auc_all_frames_at_once_equals_the_per_sequence_path(seed):
    """The one-array path against the per-sequence loop on random scenes: sequences of 1..60 frames,
    missing predictions, zero-area and touching boxes, IoU exactly at thresholds; the same float."""
    from generallevel_builtin.classification import _success_auc_of_boxes

    rng = np.random.default_rng(seed)
    preds, refs = [], []
    for _ in range(int(rng.integers(1, 40))):
        n = int(rng.integers(1, 61))
        # whole-pixel boxes: identical boxes give IoU exactly 1 (with fractional coordinates the
        # per-sequence path can compute 1 + 1 ulp and refuse it; the one-array path then defers to it)
        g = np.round(rng.uniform(0, 50, (n, 4)))
        p = np.where(rng.random((n, 1)) < 0.5, g + np.round(rng.normal(0, 5, (n, 4))), g)
        p[:, 2:] = np.abs(p[:, 2:])
        p[rng.random(n) < 0.05, 2] = 0.0  # zero-area predictions
        same = rng.random(n) < 0.1
        p[same] = g[same]  # IoU exactly 1
        rows = [None if rng.random() < 0.1 else list(map(float, b)) for b in p]
        preds.append(rows if rng.random() < 0.5 else tuple(rows))
        refs.append(g.tolist() if rng.random() < 0.7 else g)
    want = _per_sequence_success_auc(preds, refs)
    assert _success_auc_of_boxes(preds, refs) == want
    assert gl.get_metric("AUC").compute(preds, refs, curve="success") == want


def test_success_auc_malformed_sequences_keep_the_per_sequence_errors():
    from generallevel_builtin.classification import _success_auc_of_boxes

    m = gl.get_metric("AUC")
    ok = [[0.0, 0.0, 2.0, 2.0]]
    for preds, refs, match in [
        ([ok, []], [ok, []], "ground truth must be finite"),
        ([ok, [[0, 0, 1]]], [ok, ok], "predictions must be"),
        ([ok, ok], [ok, [[0, 0, float("nan"), 1]]], "ground truth must be finite"),
        ([[[0, 0, 1, 1, 1]]], [[[0, 0, 1, 1, 1]]], "ground truth must be finite"),
    ]:
        assert _success_auc_of_boxes(preds, refs) is None
        with pytest.raises(gl.InputError, match=match):
            m.compute(preds, refs, curve="success")


def test_box_rows_equal_numpy_asarray():
    from generallevel_builtin.classification import _box_rows

    rng = np.random.default_rng(9)
    rows = np.round(rng.uniform(-5, 500, (300, 4)), 2).tolist()
    rows[3] = [1, 2, 3, 4]  # ints
    rows[4] = [True, False, 1.5, np.float32(0.1)]
    rows[5] = ["1.5", 2, 3, 4]  # numpy converts numeric strings; so do we
    rows[6] = [None, 1, 2, 3]  # NaN, refused later as not finite
    want = np.asarray(rows, dtype=float)
    got = _box_rows(rows)
    assert got.shape == want.shape and np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(_box_rows([(1, 2, 3, 4)]), [[1.0, 2.0, 3.0, 4.0]])  # tuples: numpy's own path
    def outcome(f, x):
        try:
            return f(x).tolist()
        except (TypeError, ValueError) as e:
            return type(e).__name__

    for odd in ([[1, 2, 3]], [[1, 2, 3, 4], [1, 2, 3]], [[[1], 2, 3, 4]], [["a", 1, 2, 3]], [[1, 2, 3, 4, 5]]):
        assert outcome(_box_rows, odd) == outcome(lambda x: np.asarray(x, dtype=float), odd), odd
