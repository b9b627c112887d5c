"""`generallevel evaluate`: the demo end to end (CLI and API), corrupted inputs, adapters, --jobs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel import adapters
from generallevel.cli import main
from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, evaluate_demo

from demo_copy import evaluate, options_file  # copies of the demo tree, with the demo's tiny models

HAR = "image/comprehension/Human_Action_Recognition"  # Acc, 5 of 6 right
CROWD = "image/comprehension/Crowd_Counting"  # MAE
COCO = "image/comprehension/COCO_Image_Captioning"  # ROUGE-L


@pytest.fixture(scope="module")
def demo():
    return evaluate_demo(jobs=1)


@pytest.fixture
def tree(tmp_path):
    """A writable copy of the demo: (dataset dir, predictions dir)."""
    shutil.copytree(DEMO_DATASET, tmp_path / "bench")
    shutil.copytree(DEMO_PREDICTIONS, tmp_path / "preds")
    return tmp_path / "bench", tmp_path / "preds"


def run(*args):
    return CliRunner().invoke(main, ["evaluate", *map(str, args)], catch_exceptions=False)


def row(result, folder):
    return next(t for t in result.tasks if t.folder == folder)


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: Path, obj) -> None:
    path.write_text(json.dumps(obj), encoding="utf-8")


# -- the demo ----------------------------------------------------------------------------------
def test_demo_is_small_and_covers_every_group():
    files = [p for p in DEMO_DATASET.parent.rglob("*") if p.is_file()]
    models = DEMO_DATASET.parent / "models"  # tiny CLIP and CLAP checkpoints (generallevel.demo_models)
    assert sum(p.stat().st_size for p in files if models not in p.parents) < 200_000
    assert sum(p.stat().st_size for p in files) < 1_000_000
    groups = {t.group for t in map(gl.get_task, (load(p)["task"] for p in DEMO_DATASET.rglob("annotation.json")))}
    assert groups == {f"{m}-{p}" for m in ("Image", "Video", "Audio", "3D")
                      for p in ("comprehension", "generation")} | {"NLP"}


def test_demo_via_api_scores_every_task_but_the_unsupported_one(demo):
    assert demo.problems == [] and demo.all_problems() == []
    status = {t.folder: t.status for t in demo.tasks}
    assert len(status) == 22
    assert [f for f, s in status.items() if s != "scored"] == ["3d/comprehension/3D_Situated_Question_Answering_on_What"]
    assert status and demo.failed == []
    har = row(demo, HAR)
    assert (har.task_id, har.metric, har.annotated, har.predicted, har.scored) == \
        ("human-action-recognition", "Acc", 6, 6, 6)
    assert har.raw == pytest.approx(500 / 6) and har.score == pytest.approx(500 / 6)
    assert har.win and har.sota_raw == pytest.approx(82.3)
    assert row(demo, CROWD).raw == pytest.approx(3.0)  # |25-23|, |51-57|, 0, 7, 2, 1
    assert demo.report.model == "demo-omni" and demo.report.level >= 2
    scored = {t.task_id: t.raw for t in demo.tasks if t.status == "scored"}
    again = gl.score(scored, model="demo-omni")  # the same report as `score` with the raw values
    assert again.levels == demo.report.levels and again.level == demo.report.level


def test_demo_raw_values_match_direct_metric_calls(demo):
    records = load(DEMO_DATASET / COCO / "annotation.json")["data"]
    preds = {p["id"]: p["prediction"] for p in load(DEMO_PREDICTIONS / COCO / "prediction.json")}
    direct = gl.get_metric("ROUGE-L").compute([preds[r["id"]] for r in records],
                                              [r["output"]["caption"] for r in records])
    assert row(demo, COCO).raw == pytest.approx(direct)


def test_cli_without_arguments_evaluates_the_demo():
    r = run()
    assert r.exit_code == 0, r.output
    assert "bundled demo" in r.stderr and "demo-omni" in r.stderr
    out = r.stdout
    assert "Model: demo-omni" in out and "Level-2" in out and "human-action-recognition" in out
    assert "22 task folders: 21 scored, 1 unsupported" in out and "FAILED" not in out


def test_cli_json_and_markdown(demo):
    r = run("--format", "json", "--jobs", "1")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["level"] == demo.report.level and d["levels"] == pytest.approx(demo.report.levels)
    assert d["problems"] == [] and d["evaluation"]["scored"] == 21 and len(d["tasks"]) == 22
    t = next(t for t in d["tasks"] if t["folder"] == HAR)
    assert {"raw", "score", "sota_raw", "sota_score", "win", "instances", "missing_ids", "unknown_ids",
            "duplicate_ids", "error", "problems", "status"} <= set(t)
    assert t["instances"] == {"annotated": 6, "predicted": 6, "scored": 6}
    md = run("--format", "markdown", "--jobs", "1").stdout
    assert md.startswith("## General-Level: demo-omni") and "### Tasks" in md and "| human-action-recognition |" in md


def test_results_identical_for_any_number_of_jobs(demo):
    parallel = evaluate_demo(jobs=2)
    assert parallel.to_dict() == demo.to_dict()
    assert json.dumps(parallel.to_dict()) == json.dumps(demo.to_dict())


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    evaluate_demo(jobs=1)
    assert capsys.readouterr().err == ""
    evaluate_demo(jobs=1, progress=True)
    assert "task" in capsys.readouterr().err  # tqdm's bar


# -- id problems -------------------------------------------------------------------------------
def test_missing_ids_count_as_wrong_answers(tree):
    bench, preds = tree
    path = preds / HAR / "prediction.json"
    save(path, load(path)[1:])  # drop har_0001 (answered correctly)
    res = evaluate(bench, preds, jobs=1)
    har = row(res, HAR)
    assert har.status == "scored" and har.raw == pytest.approx(400 / 6)
    assert (har.missing.count, har.missing.first, har.predicted, har.scored) == (1, ["har_0001"], 5, 6)
    assert any("without a prediction" in p and "har_0001" in p for p in res.all_problems())
    with pytest.raises(gl.InputError, match="har_0001"):
        evaluate(bench, preds, jobs=1, strict=True)


def test_missing_ids_fail_a_task_whose_metric_has_no_wrong_answer(tree):
    bench, preds = tree
    path = preds / CROWD / "prediction.json"
    save(path, load(path)[:-1])
    res = evaluate(bench, preds, jobs=1)
    crowd = row(res, CROWD)
    assert crowd.status == "failed" and crowd.raw is None and "no 'wrong answer'" in crowd.error
    assert crowd.missing.first == ["crowd_0006"]
    assert row(res, HAR).status == "scored"  # the others are unaffected
    assert not next(t for t in res.report.tasks if t.task.id == "crowd-counting").raw


def test_unknown_ids_are_reported_and_ignored(tree, demo):
    bench, preds = tree
    path = preds / HAR / "prediction.json"
    save(path, load(path) + [{"id": f"extra_{i}", "prediction": "x"} for i in range(7)])
    har = row(evaluate(bench, preds, jobs=1), HAR)
    assert har.status == "scored" and har.raw == pytest.approx(row(demo, HAR).raw)
    assert har.unknown.count == 7 and har.unknown.first == [f"extra_{i}" for i in range(5)]
    assert "7 ('extra_0'" in har.problems[0] and "..." in har.problems[0]


def test_duplicate_ids_fail_the_task(tree):
    bench, preds = tree
    path = preds / HAR / "prediction.json"
    items = load(path)
    save(path, items + [dict(items[2], prediction="wrong")])
    res = evaluate(bench, preds, jobs=1)
    har = row(res, HAR)
    assert har.status == "failed" and "duplicate prediction id" in har.error and str(path) in har.error
    assert har.duplicates.describe() == {"count": 1, "first": ["har_0003"]}
    assert sum(t.status == "scored" for t in res.tasks) == 20


def test_integer_and_string_ids_join(tree):
    bench, preds = tree
    ann = load(bench / HAR / "annotation.json")
    for i, item in enumerate(ann["data"]):
        item["id"] = i
    save(bench / HAR / "annotation.json", ann)
    path = preds / HAR / "prediction.json"
    save(path, [dict(p, id=str(i)) for i, p in enumerate(load(path))])
    assert row(evaluate(bench, preds, jobs=1), HAR).raw == pytest.approx(500 / 6)


# -- broken files and folders ------------------------------------------------------------------
def test_malformed_prediction_json_fails_only_that_task(tree):
    bench, preds = tree
    path = preds / HAR / "prediction.json"
    path.write_text('[{"id": "har_0001", "prediction": "running"', encoding="utf-8")
    res = evaluate(bench, preds, jobs=1)
    har = row(res, HAR)
    assert har.status == "failed" and str(path) in har.error and "malformed JSON" in har.error
    assert sum(t.status == "scored" for t in res.tasks) == 20
    opts = options_file(bench.parent)  # the demo's tiny models, for this copy of it
    r = run(bench, "--predictions", preds, "--jobs", "1", "--extractor-options", opts)
    assert r.exit_code == 1 and "FAILED" in r.stdout and "malformed JSON" in r.stdout and "1 task(s) failed" in r.stderr
    r = run(bench, "--predictions", preds, "--jobs", "1", "--strict", "--extractor-options", opts)
    assert r.exit_code == 2 and "error:" in r.stderr and str(path) in r.stderr and "Traceback" not in r.output


def test_malformed_annotation_json_names_the_file(tree):
    bench, preds = tree
    path = bench / CROWD / "annotation.json"
    path.write_text("{not json", encoding="utf-8")
    crowd = row(evaluate(bench, preds, jobs=1), CROWD)
    assert crowd.status == "failed" and crowd.error.startswith(f"{path}: malformed JSON")


@pytest.mark.parametrize("content, message", [
    ({"task": "Crowd Counting"}, "'data' must be a list"),
    ({"task": "Crowd Counting", "data": []}, "'data' is empty"),
    ({"task": "Crowd Counting", "data": [{"input": {}}]}, "item 0: expected an object with 'id'"),
    ([1, 2], "expected a JSON object"),
])
def test_annotation_shape_errors(tree, content, message):
    bench, preds = tree
    save(bench / CROWD / "annotation.json", content)
    assert message in row(evaluate(bench, preds, jobs=1), CROWD).error


def test_prediction_shape_errors(tree):
    bench, preds = tree
    save(preds / CROWD / "prediction.json", {"crowd_0001": 3})
    assert "a prediction object needs 'data'" in row(evaluate(bench, preds, jobs=1), CROWD).error
    save(preds / CROWD / "prediction.json", 3)
    assert "or a JSON list of" in row(evaluate(bench, preds, jobs=1), CROWD).error
    save(preds / CROWD / "prediction.json", [{"id": "crowd_0001", "answer": 3}])
    assert "item 0 (id 'crowd_0001'): no 'prediction' (or 'prediction_final')" in \
        row(evaluate(bench, preds, jobs=1), CROWD).error
    save(preds / CROWD / "prediction.json", [{"answer": 3}])
    assert "item 0: expected an object with 'id' and 'prediction'" in row(evaluate(bench, preds, jobs=1), CROWD).error


def test_unknown_task_folder_is_a_failed_task_naming_the_file(tree):
    bench, preds = tree
    (bench / "image/comprehension/Mystery_Task").mkdir()
    save(bench / "image/comprehension/Mystery_Task/annotation.json",
         {"task": "Mystery Task", "data": [{"id": "1", "input": {}, "output": {"answer": "a"}}]})
    res = evaluate(bench, preds, jobs=1)
    bad = row(res, "image/comprehension/Mystery_Task")
    assert bad.status == "failed" and bad.task_id is None
    assert "Mystery_Task/annotation.json" in bad.error and "no registered task" in bad.error
    assert sum(t.status == "scored" for t in res.tasks) == 21
    with pytest.raises(gl.InputError, match="Mystery_Task"):
        evaluate(bench, preds, jobs=1, strict=True)


def test_folder_name_is_the_fallback_task_name(tree, demo):
    bench, preds = tree
    ann = load(bench / CROWD / "annotation.json")
    del ann["task"]
    save(bench / CROWD / "annotation.json", ann)
    crowd = row(evaluate(bench, preds, jobs=1), CROWD)
    assert crowd.task_id == "crowd-counting" and crowd.raw == row(demo, CROWD).raw


def test_task_in_the_wrong_group_fails(tree):
    bench, preds = tree
    shutil.move(bench / CROWD, bench / "image/generation/Crowd_Counting")
    shutil.move(preds / CROWD, preds / "image/generation/Crowd_Counting")
    bad = row(evaluate(bench, preds, jobs=1), "image/generation/Crowd_Counting")
    assert bad.status == "failed" and "belongs to Image-comprehension" in bad.error


def test_same_task_in_two_folders_counts_once(tree):
    bench, preds = tree
    for root in tree:
        shutil.copytree(root / CROWD, root / "image/comprehension/Crowd_Counting_Copy")
    res = evaluate(bench, preds, jobs=1)
    assert row(res, CROWD).status == "scored"
    assert "already evaluated from folder" in row(res, "image/comprehension/Crowd_Counting_Copy").error


def test_missing_prediction_file_means_unsupported(tree):
    bench, preds = tree
    (preds / CROWD / "prediction.json").unlink()
    res = evaluate(bench, preds, jobs=1)
    crowd = row(res, CROWD)
    assert crowd.status == "unsupported" and crowd.raw is None and crowd.error is None
    assert next(t for t in res.report.tasks if t.task.id == "crowd-counting").raw is None
    assert res.all_problems() == []


def test_layout_problems_are_reported(tree):
    bench, preds = tree
    (bench / "image").rename(bench / "IMAGE")  # modality folder names are case-insensitive
    (bench / "misc").mkdir()
    (bench / "video" / "other").mkdir()
    (preds / "nlp" / "Not_In_Dataset").mkdir()
    save(preds / "nlp" / "Not_In_Dataset" / "prediction.json", [])
    res = evaluate(bench, preds, jobs=1)
    assert row(res, "IMAGE/comprehension/Crowd_Counting").status == "scored"
    text = "\n".join(res.problems)
    assert "misc: not a modality folder" in text and "other: not a paradigm folder" in text
    assert "Not_In_Dataset/prediction.json: no task folder" in text


def test_empty_or_missing_dataset_is_an_error(tmp_path):
    with pytest.raises(gl.InputError, match="no task folders found"):
        evaluate(tmp_path, tmp_path, jobs=1)
    with pytest.raises(gl.InputError, match="folder not found"):
        evaluate(tmp_path / "nope", tmp_path, jobs=1)
    r = run(tmp_path)
    assert r.exit_code == 2 and "no task folders found" in r.stderr
    (tmp_path / "nlp" / "T").mkdir(parents=True)
    save(tmp_path / "nlp" / "T" / "annotation.json", {"task": "Commonsense Reasoning", "data": [{"id": 1}]})
    r = run(tmp_path)  # no prediction files inside the tree and no --predictions
    assert r.exit_code == 2 and "--predictions" in r.stderr


# -- adapters ----------------------------------------------------------------------------------
def _task(metric="Acc", adapter=None):
    return gl.Task(id="t", name="T", modality="Image", paradigm="comprehension", metric=metric, sota=None,
                   sota_unit="percent", adapter=adapter)


def test_default_adapter_families():
    recs = [{"id": "1", "output": {"answer": 3}}, {"id": "2", "output": {"label": "b", "extra": 1}}]
    assert adapters.adapt(_task(), recs, ["3 ", {"answer": "b"}]) == (["3", "b"], ["3", "b"], {})
    assert adapters.adapt(_task(), recs, [None, "b"])[0] == ["", "b"]  # missing -> empty answer
    text = [{"id": "1", "output": {"caption": ["a cat", "the cat"]}}]
    assert adapters.adapt(_task("ROUGE-L"), text, ["a cat"])[:2] == (["a cat"], [["a cat", "the cat"]])
    feats = [{"id": str(i), "output": {"image": "x.png", "features": [i, 1.0]}} for i in range(3)]
    p, r, _ = adapters.adapt(_task("FID"), feats, [{"features": [0, 0]}, [1, 1], [2, 2]])
    assert p.shape == r.shape == (3, 2) and r[2, 0] == 2
    with pytest.raises(gl.InputError, match="'1'.*2 values"):
        adapters.adapt(_task("FID"), feats, [[0], [1, 1], [2, 2]])
    with pytest.raises(gl.InputError, match="cannot tell which 'output' field"):
        adapters.adapt(_task(), [{"id": "9", "output": {"x": 1, "y": 2}}], ["a"])
    with pytest.raises(gl.InputError, match="expected a finite number"):
        adapters.adapt(_task("MAE"), [{"id": "1", "output": {"count": 2}}], ["two"])
    assert adapters.adapt(_task("AP@50"), [{"id": "1", "output": {"boxes": []}}], [None])[0] == [[]]
    assert adapters.family_of("SomePluginMetric").name == "generic"


def test_task_adapter_wins_in_both_signatures():
    recs = [{"id": "1", "output": {"weird": {"gold": "a"}}}]
    three = lambda records, preds, task: (preds, [r["output"]["weird"]["gold"] for r in records], {"k": 1})  # noqa: E731
    assert adapters.adapt(_task(adapter=three), recs, ["a"]) == (["a"], ["a"], {"k": 1})
    two = lambda items, predictions=None: (predictions, ["a"])  # noqa: E731 - the new-plugin scaffold's form
    assert adapters.adapt(_task(adapter=two), recs, ["b"]) == (["b"], ["a"], {})
    assert adapters.load_adapter(_task(adapter="generallevel.adapters:default_adapter")) is adapters.default_adapter
    with pytest.raises(gl.InputError, match="cannot load adapter"):
        adapters.adapt(_task(adapter="no_such_module:fn"), recs, ["a"])
    with pytest.raises(gl.InputError, match="must return"):
        adapters.adapt(_task(adapter=lambda r, p, t: ["a"]), recs, ["a"])


def test_registered_task_adapter_is_used_by_the_engine(tree, monkeypatch):
    bench, preds = tree
    seen = {}

    def halve(records, predictions, task):
        seen["task"] = task.id
        return [p / 2 for p in predictions], [r["output"]["count"] / 2 for r in records], {}

    monkeypatch.setattr(gl.get_task("crowd-counting"), "adapter", halve)
    assert row(evaluate(bench, preds, jobs=1), CROWD).raw == pytest.approx(1.5)
    assert seen == {"task": "crowd-counting"}


def test_an_exception_inside_a_metric_fails_only_its_task(tree, monkeypatch):
    bench, preds = tree

    def boom(records, predictions, task):
        raise ZeroDivisionError("adapter bug")

    monkeypatch.setattr(gl.get_task("crowd-counting"), "adapter", boom)
    res = evaluate(bench, preds, jobs=1)
    assert row(res, CROWD).error == "ZeroDivisionError: adapter bug"
    assert sum(t.status == "scored" for t in res.tasks) == 20


def test_problems_are_identical_for_any_number_of_jobs(tree):
    bench, preds = tree
    (preds / HAR / "prediction.json").write_text("[", encoding="utf-8")
    path = preds / CROWD / "prediction.json"
    save(path, load(path)[:-1] + [{"id": "zzz", "prediction": 1}])
    one, two = evaluate(bench, preds, jobs=1), evaluate(bench, preds, jobs=2)
    assert len(one.all_problems()) == 4 and one.to_dict() == two.to_dict()  # unknown, missing, 2 failed


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork",
                    reason="the crashing adapter is only inherited by forked workers")
def test_a_crashed_worker_fails_its_task_not_the_run(tree, monkeypatch):
    import os

    bench, preds = tree

    def crash(records, predictions, task):
        os._exit(3)

    monkeypatch.setattr(gl.get_task("crowd-counting"), "adapter", crash)
    res = evaluate(bench, preds, jobs=2)
    assert "worker process failed" in row(res, CROWD).error
    assert len(res.tasks) == 22


def test_duplicate_annotation_ids_fail_the_task(tree):
    bench, preds = tree
    ann = load(bench / CROWD / "annotation.json")
    ann["data"].append(dict(ann["data"][0]))
    save(bench / CROWD / "annotation.json", ann)
    assert "duplicate annotation id(s) ['crowd_0001']" in row(evaluate(bench, preds, jobs=1), CROWD).error


def test_expect_registry_is_checked_before_any_task_runs(tree, monkeypatch):
    """A wrong fingerprint must stop the run at once, not after hours of metric computation."""
    import generallevel.evaluate as ev

    def boom(*a, **k):
        raise AssertionError("a task ran although the registry fingerprint is wrong")

    monkeypatch.setattr(ev, "evaluate_folder", boom)
    with pytest.raises(gl.InputError, match="refusing to score"):
        evaluate(*tree, jobs=1, expect_registry="0" * 64)


def test_tracking_auc_tasks_read_per_frame_boxes():
    import generallevel as gl
    from generallevel.adapters import MISSING, adapt

    task = gl.get_task("Animal Tracking")
    records = [{"id": "s1", "output": {"boxes": [[0, 0, 2, 2], [0, 0, 2, 2]]}},
               {"id": "s2", "output": {"boxes": [[5, 5, 2, 2]]}}]
    preds, refs, opts = adapt(task, records, [[[0, 0, 2, 2], None], [[5, 5, 1, 1]]])
    value = gl.get_metric(task.metric).compute(preds, refs, **{**task.metric_options, **opts})
    expected = gl.get_metric("AUC").compute([[1.0, 0.0], [0.25]], None, curve="success")
    assert value == pytest.approx(expected)
    with pytest.raises(gl.InputError, match="no prediction"):
        adapt(task, records, [MISSING, [[5, 5, 1, 1]]])
