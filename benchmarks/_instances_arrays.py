"""Array-valued instance generators for the synthetic full-scale tree: images, masks, maps, point
clouds, videos, trajectories, cepstra (inlined as nested lists; sizes from ``_instances.SHAPES``)."""

from __future__ import annotations

import numpy as np

from _instances import SHAPES, Gen, r4


def _smooth_u8(rng, shape):
    h, w = shape[0], shape[1]
    base = rng.integers(0, 256, (max(1, h // 4), max(1, w // 4)) + tuple(shape[2:]))
    img = np.repeat(np.repeat(base, 4, axis=0), 4, axis=1)[:h, :w]
    return img


def gen_images(shape) -> Gen:
    def gen(n, rng, words):
        outs, preds = [], []
        for _ in range(n):
            ref = _smooth_u8(rng, shape)
            pred = np.clip(ref + rng.normal(0, 12, ref.shape), 0, 255).round().astype(np.int64)
            outs.append({"target": ref.tolist()})
            preds.append(pred.tolist())
        return outs, preds
    return gen


def gen_label_maps(n, rng, words):
    h, w = SHAPES["mask"]
    k = int(rng.integers(5, 21))
    outs, preds = [], []
    for _ in range(n):
        ref = np.repeat(np.repeat(rng.integers(0, k, (h // 8, w // 8)), 8, 0), 8, 1)
        pred = np.where(rng.random(ref.shape) < 0.8, ref, rng.integers(0, k, ref.shape))
        outs.append({"mask": ref.tolist()})
        preds.append(pred.tolist())
    return outs, preds


def gen_binary_masks(n, rng, words):
    h, w = SHAPES["mask"]
    outs, preds = [], []
    for _ in range(n):
        ref = np.repeat(np.repeat(rng.random((h // 8, w // 8)) < 0.4, 8, 0), 8, 1).astype(int)
        pred = np.where(rng.random(ref.shape) < 0.9, ref, 1 - ref)
        outs.append({"mask": ref.tolist()})
        preds.append(pred.tolist())
    return outs, preds


def gen_video_masks(n, rng, words, frames: int = 4):
    """Video object segmentation: per item a stack of binary foreground masks, one per frame."""
    outs, preds = [], []
    for _ in range(n):
        o, p = gen_binary_masks(frames, rng, words)
        outs.append({"mask": [x["mask"] for x in o]})
        preds.append(p)
    return outs, preds


def gen_saliency(n, rng, words):
    outs, preds = gen_binary_masks(n, rng, words)
    preds = [r4(np.clip(np.asarray(p) * 0.7 + rng.random(np.shape(p)) * 0.3, 0, 1)) for p in preds]
    return outs, preds


def gen_mattes(n, rng, words):
    h, w = SHAPES["mask"]
    outs, preds = [], []
    for _ in range(n):
        ref = np.clip(rng.random((h, w)) * 1.4 - 0.2, 0, 1)
        outs.append({"map": r4(ref)})
        preds.append(r4(np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1)))
    return outs, preds


def gen_depth(n, rng, words):
    outs, preds = [], []
    for _ in range(n):
        ref = rng.uniform(0.5, 80.0, SHAPES["depth"])
        outs.append({"map": r4(ref)})
        preds.append(r4(np.abs(ref * rng.normal(1.0, 0.1, ref.shape)) + 0.01))
    return outs, preds


def gen_flow(n, rng, words):
    outs, preds = [], []
    for _ in range(n):
        ref = rng.normal(0, 4, SHAPES["flow"])
        outs.append({"map": r4(ref)})
        preds.append(r4(ref + rng.normal(0, 1, ref.shape)))
    return outs, preds


# Cityscapes ids, the things/stuff split the registry gives Road Scene Panoptic Segmentation (a PQ
# task without a split accepts any ids)
PANOPTIC_IDS = np.array([7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33])


def gen_panoptic(n, rng, words):
    h, w, _ = SHAPES["panoptic"]
    outs, preds = [], []
    for _ in range(n):
        cat = np.repeat(np.repeat(rng.choice(PANOPTIC_IDS[:6], (h // 8, w // 8)), 8, 0), 8, 1)
        cat[: h // 2, : w // 2] = PANOPTIC_IDS[11 + int(rng.integers(0, 8))]  # a "thing" region
        inst = np.repeat(np.repeat(rng.integers(0, 4, (h // 8, w // 8)), 8, 0), 8, 1)
        ref = np.stack([cat, inst], axis=-1)
        pred = ref.copy()
        flip = rng.random((h, w)) < 0.1
        pred[flip, 0] = rng.choice(PANOPTIC_IDS[:6], int(flip.sum()))
        outs.append({"map": ref.tolist()})
        preds.append(pred.tolist())
    return outs, preds


def gen_clouds(n, rng, words):
    outs, preds = [], []
    for _ in range(n):
        g = rng.standard_normal(SHAPES["cloud"])
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        p = rng.standard_normal(SHAPES["cloud"])
        p /= np.linalg.norm(p, axis=1, keepdims=True)
        outs.append({"points": r4(g)})
        preds.append(r4(p + rng.normal(0, 0.02, p.shape)))
    return outs, preds


def gen_parts(n, rng, words):
    outs, preds = [], []
    for _ in range(n):
        k = int(rng.integers(2, 6))
        ref = np.sort(rng.integers(0, k, SHAPES["parts"]))
        pred = np.where(rng.random(ref.size) < 0.85, ref, rng.integers(0, k, ref.size))
        outs.append({"label": ref.tolist()})
        preds.append(pred.tolist())
    return outs, preds


def gen_tubes(n, rng, words):
    frames = SHAPES["frames"]
    outs, preds = [], []
    for _ in range(n):
        a, b = sorted(rng.integers(0, frames, 2).tolist())
        x, y = rng.uniform(0, 300, 2)
        ref = [None if not a <= f <= b else [round(x + f, 1), round(y, 1), round(x + f + 60, 1), round(y + 80, 1)]
               for f in range(frames)]
        shift = rng.normal(0, 6, 4)
        pred = [None if box is None or rng.random() < 0.1 else [round(v + s, 1) for v, s in zip(box, shift)]
                for box in ref]
        outs.append({"target": ref})
        preds.append(pred)
    return outs, preds


def gen_frame_labels(n, rng, words):
    frames = SHAPES["frames"]
    outs, preds = [], []
    for _ in range(n):
        ref = np.repeat(rng.integers(0, 10, frames // 8), 8)
        pred = np.where(rng.random(frames) < 0.8, ref, rng.integers(0, 10, frames))
        outs.append({"label": [f"step_{i}" for i in ref]})
        preds.append([f"step_{i}" for i in pred])
    return outs, preds


def gen_trajectories(n, rng, words):
    outs, preds = [], []
    for _ in range(n):
        steps = np.column_stack([rng.normal(1.0, 0.05, SHAPES["trajectory"]), rng.normal(0, 0.05, SHAPES["trajectory"]),
                                 rng.normal(0, 0.01, SHAPES["trajectory"])])
        ref = np.cumsum(steps, axis=0)
        pred = ref + np.cumsum(rng.normal(0, 0.02, ref.shape), axis=0)
        outs.append({"target": r4(ref)})
        preds.append(r4(pred))
    return outs, preds


def gen_cepstra(n, rng, words):
    t, d = SHAPES["cepstra"]
    outs, preds = [], []
    for _ in range(n):
        ref = rng.normal(0, 1, (int(t * rng.uniform(0.8, 1.2)), d))
        pred = ref[np.sort(rng.integers(0, len(ref), int(len(ref) * rng.uniform(0.9, 1.1))))]
        outs.append({"target": r4(ref)})
        preds.append(r4(pred + rng.normal(0, 0.2, pred.shape)))
    return outs, preds


def gen_videos(n, rng, words):
    outs, preds = [], []
    t, h, w, c = SHAPES["video"]
    for i in range(n):
        frame = _smooth_u8(rng, (h, w, c))
        video = np.clip(frame[None] + rng.normal(0, 3, (t, h, w, c)), 0, 255).round().astype(np.int64)
        outs.append({"video": f"videos/{i:06d}.mp4"})
        preds.append(video.tolist())
    return outs, preds


def gen_video_flows(n, rng, words):
    outs, preds = [], []
    for i in range(n):
        outs.append({"video": f"videos/{i:06d}.mp4"})
        preds.append(r4(rng.normal(0, rng.uniform(0.5, 8), SHAPES["video_flow"])))
    return outs, preds


def gen_i2v(n, rng, words):
    keys = ("subject_consistency", "viclip", "dynamic_degree", "motion_smoothness")
    vals = rng.uniform(0.2, 1.0, (n, 4))
    return ([{"video": f"videos/{i:06d}.mp4"} for i in range(n)],
            [dict(zip(keys, v)) for v in r4(vals)])


NUSCENES_CLASSES = ("car", "pedestrian", "bicycle", "bus", "truck")


def gen_centre_boxes(n, rng, words, per_sample=8):
    """nuScenes detection samples (mAP matching='center-distance'): 3-D boxes with translation [x, y, z]
    in metres; predictions within ~0.6 m of most objects, a few misses and false positives."""
    outs, preds = [], []
    for _ in range(n):
        k = int(rng.integers(1, 2 * per_sample))
        xyz = np.column_stack([rng.uniform(-50, 50, (k, 2)), rng.uniform(0, 3, k)])
        cls = rng.integers(0, len(NUSCENES_CLASSES), k)
        outs.append({"boxes": [{"translation": t, "detection_name": NUSCENES_CLASSES[c]}
                               for t, c in zip(np.round(xyz, 2).tolist(), cls.tolist())]})
        keep = rng.random(k) < 0.85
        det = xyz[keep] + rng.normal(0, 0.6, (int(keep.sum()), 3))
        extra = int(rng.poisson(2))
        det = np.vstack([det, np.column_stack([rng.uniform(-50, 50, (extra, 2)), rng.uniform(0, 3, extra)])])
        dcls = np.r_[cls[keep], rng.integers(0, len(NUSCENES_CLASSES), extra)]
        score = np.r_[rng.uniform(0.4, 1, int(keep.sum())), rng.uniform(0, 0.6, extra)]
        preds.append([{"translation": t, "detection_name": NUSCENES_CLASSES[c], "detection_score": float(s)}
                      for t, c, s in zip(np.round(det, 2).tolist(), dcls.tolist(), np.round(score, 3).tolist())])
    return outs, preds


def gen_tracks(n, rng, words, frames=40, objects=12):
    """3D Tracking scenes (the tracking3d adapter): objects moving on straight lines, tracked with
    position noise, a missed frame now and then, one identity switch per scene and a false track."""
    outs, preds = [], []
    for _ in range(n):
        start = rng.uniform(-40, 40, (objects, 2))
        speed = rng.uniform(-1, 1, (objects, 2))
        cls = rng.integers(0, len(NUSCENES_CLASSES), objects)
        ref, hyp = [], []
        for f in range(frames):
            pos = start + f * speed
            ref.append([{"instance_token": f"obj{j}", "translation": [*np.round(pos[j], 2).tolist(), 1.0],
                         "tracking_name": NUSCENES_CLASSES[cls[j]]} for j in range(objects)])
            frame = []
            for j in range(objects):
                if rng.random() < 0.1:
                    continue
                track = f"trk{j}" if not (j == 0 and f >= frames // 2) else "trk-switched"
                p = pos[j] + rng.normal(0, 0.3, 2)
                frame.append({"tracking_id": track, "translation": [*np.round(p, 2).tolist(), 1.0],
                              "tracking_score": round(float(rng.uniform(0.3, 1.0)), 3),
                              "tracking_name": NUSCENES_CLASSES[cls[j]]})
            frame.append({"tracking_id": "trk-false", "translation": [*np.round(rng.uniform(-40, 40, 2), 2).tolist(),
                                                                       1.0],
                          "tracking_score": round(float(rng.uniform(0.0, 0.5)), 3), "tracking_name": "car"})
            hyp.append(frame)
        outs.append({"frames": ref})
        preds.append(hyp)
    return outs, preds


def gen_amota(n, rng, words):
    outs, preds = [], []
    for _ in range(n):
        p = int(rng.integers(5_000, 20_000))
        recs = []
        for r in np.linspace(0.1, 1.0, 40):
            fn = int(p * (1 - r))
            recs.append({"recall": round(float(r), 4), "fp": int(rng.integers(0, p // 10)), "fn": fn,
                         "ids": int(rng.integers(0, 50))})
        outs.append({"value": p})
        preds.append(recs)
    return outs, preds
