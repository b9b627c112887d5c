"""What ``evaluate --ci`` costs for CodeBLEU and CIDEr: statistics/reweighing against recomputation.

    OMP_NUM_THREADS=1 python benchmarks/ci_text_metrics.py

A CodeBLEU task of 300 items and a CIDEr task of 400 (the synthetic full-scale tree's generators,
benchmarks/_instances.py) resampled by ``generallevel.intervals.resample_task`` at 1000 resamples
(CodeBLEU's summed statistics, CIDEr's reweighing resampler), and by recomputing the metric on each
resample as before they had them (25 and 100 resamples, their former caps). Prints CPU seconds; the
figures in docs/intervals.md come from this script.
"""

from __future__ import annotations

import time

import numpy as np

from _instances import Words, gen_code, gen_text

RESAMPLES = 1000
OLD_CAPS = {"CodeBLEU": 25, "CIDEr": 100}


def main() -> None:
    from generallevel import get_metric
    from generallevel.intervals import IntervalSpec, _recompute, resample_task

    rng = np.random.default_rng(0)
    words = Words(rng)
    for name, gen, n, key in (("CodeBLEU", gen_code, 300, "code"), ("CIDEr", gen_text, 400, "caption")):
        outs, preds = gen(n, rng, words)
        refs = [o[key] for o in outs]
        metric = get_metric(name)
        raw = metric.compute(preds, refs)
        t0 = time.process_time()
        new = resample_task(metric, preds, refs, {}, raw, IntervalSpec(resamples=RESAMPLES), name)
        t1 = time.process_time()
        old_spec = IntervalSpec(resamples=OLD_CAPS[name])
        _recompute(metric, preds, refs, {}, raw, old_spec, old_spec.rng(name), True)
        t2 = time.process_time()
        print(f"{name} ({n} items): {new.method}, {new.resamples} resamples {t1 - t0:.2f} s CPU | recompute, "
              f"{OLD_CAPS[name]} resamples {t2 - t1:.2f} s CPU ({(t2 - t1) / OLD_CAPS[name] * RESAMPLES:.0f} s "
              f"per {RESAMPLES})")


if __name__ == "__main__":
    main()
