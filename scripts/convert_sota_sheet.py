"""Build registry.toml from the official SoTA sheet (sota_result.xlsx).

    python scripts/convert_sota_sheet.py ../shared/reference/general-level-scorer/sota_result.xlsx

The sheet itself is never committed. What this script fixes, and why:
- metric spellings (70 in the sheet) are mapped to canonical metric names (SHEET_METRIC below);
  "CLIP score" is CLIP-T for text-to-X tasks and CLIP-I otherwise; "RMS" keeps its own T=50 mapping;
- each SoTA value gets the unit it is written in (WER 5.6 means 5.6 %, MS-SSIM is a fraction,
  MOS is on 1..5, PSNR/MCD in dB, distances as plain values), so it is converted, never guessed;
- names are trimmed and inner runs of spaces collapsed; ids are slugs of the name;
- skills are assigned by the keyword rules in SKILL_RULES (documented in docs/scopes.md); they are
  an extra facet, not the paper's skills;
- the paper's 145 skills (Scope-D): every non-NLP task gets `skill_group` ("I-C #17") from its row
  in the sheet, cutting each sheet into runs of consecutive rows whose lengths are PAPER_SKILL_RUNS
  (the runs that reproduce the paper's published per-group SoTA means), and `skill_group_name` from
  SKILL_GROUP_NAMES. The 22 NLP groups cannot be recovered (no run partition of the NLP sheet fits
  the published means), so NLP tasks get "NLP: <keyword skill>" instead, which is NOT the paper's
  grouping;
- metric_options pick the definition where one sheet metric covers two (QA token F1, tracking AUC),
  and carry what a metric needs from the task's dataset (PQ's things/stuff split: DATASET_OPTIONS);
- adapter names the task adapter where the default one cannot read the task's files (TASK_ADAPTERS).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SHEET_METRIC = {
    "ACC": "Acc", "Acc": "Acc", "AMOTA (Average Multi-Object Tracking Accuracy)": "AMOTA",
    "ANLS": "ANLS", "AP": "AP", "AP10": "AP@10", "AP50": "AP@50", "AP75": "AP@75", "AUC": "AUC",
    "Aesthetic score": "AestheticScore", "BLEU-1": "BLEU-1", "BLEU@4": "BLEU-4", "BLUE_1": "BLEU-1",
    "CD (Chamfer Distance)": "CD", "CIDEr": "CIDEr", "CLAP": "CLAP", "CLIP img score": "CLIP-I",
    "CLIP-Style": "CLIP-Style", "CodeBLEU": "CodeBLEU", "DICE": "Dice",
    "DINO+ViCLIP+Optical flow+Motion Smooth": "I2V-Composite", "DINOScore": "DINO-I", "E-Acc": "E-Acc",
    "EM@1": "EM@1", "EPE": "EPE", "F-score": "F1", "F1": "F1", "F1 Score": "F1", "FAD": "FAD",
    "FID": "FID", "FVD": "FVD", "Fram-Acc": "Frame-Acc", "GPT-Score": "GPT-Score",
    "Instance mIoU": "Instance-mIoU", "L1 distance": "TemporalFlickering", "MAE": "MAE", "MCD": "MCD",
    "MOS": "MOS", "MS-SSIM": "MS-SSIM", "MSE": "MSE", "MUSIQ": "MUSIQ", "MUSIQ score": "MUSIQ",
    "Macro-Acc": "Macro-Acc", "Micro-F1": "Micro-F1", "Multi-Object Successful Rate": "SuccessRate",
    "Optical Flow Score": "DynamicDegree", "PCC": "PCC", "PQ": "PQ", "PSNR": "PSNR",
    "R@50": "Recall@50", "RMS": "RMS", "RMSE": "RMSE", "ROUGE-1": "ROUGE-1", "ROUGE-L": "ROUGE-L",
    "RTE ( Relative Translation Error)": "RTE", "Rouge-L f": "ROUGE-L", "SAD": "SAD",
    "Single-Object Successful Rate": "SuccessRate", "Structure measure": "S-measure",
    "Style-CLAP": "Style-CLAP", "Successful rate": "SuccessRate", "User preference rates": "UserPreference",
    "WER": "WER", "absRel": "AbsRel", "mAP": "mAP", "mAP@50": "AP@50", "mIoU": "mIoU", "m_vIoU": "m_vIoU",
}
CLIP_SPELLINGS = {"CLIP score", "CLIPScore"}

# Unit the sheet writes each canonical metric's SoTA in (default: percent).
SHEET_UNIT = {
    "MS-SSIM": "fraction", "MOS": "mos", "PSNR": "dB", "MCD": "dB",
    **{m: "value" for m in ("MAE", "RMS", "RMSE", "MSE", "SAD", "AbsRel", "EPE", "FID", "FVD",
                            "FAD", "RTE", "CD")},
}

SKILL_RULES = [  # first match wins; matched case-insensitively against the task name
    ("question-answering", r"question answering|\bqa\b|vqa"),
    ("captioning", r"caption"),
    ("counting", r"counting"),
    ("tracking", r"tracking"),
    ("detection", r"detection|localization|spotting"),
    ("segmentation", r"segmentation|matting"),
    ("geometry", r"depth|optical flow|normal estimation|odometry|pose|registration|reconstruction|completion"),
    ("grounding-retrieval", r"grounding|retrieval|referring|matching"),
    ("translation", r"translation"),
    ("reasoning", r"reasoning|inference|math|logic|problem solving"),
    ("editing-restoration", r"edit|style transfer|inpainting|restoration|super-?resolution|enhancement|"
                            r"removal|deblur|denois|dehaz|derain|unwarping|colori[sz]ation|harmoni"),
    ("generation", r"generation|synthesis|to-image|to image|to video|to speech|tts|to audio|to 3d|"
                   r"text-to|t2i|t2v|talk|song|music|voice conversion|dubbing"),
    ("recognition", r"classification|recognition|recog|identification|analysis|detection|sentiment|"
                    r"emotion|intent|verification|prediction|estimation|assessment|labeling|tagging"),
]


# The paper's skills: each sheet (one per modality x paradigm) is cut, in row order, into runs of
# these lengths; run k is group #k ("Image-C 40, Image-G 15, ..., 3D-G 9": 123 groups, with the
# paper's 22 NLP groups 145). The lengths are the ones that reproduce the paper's per-group means of
# the "SoTA Specialist" row (Video-C #12 and 3D-C #7 aside, see docs/scopes.md).
PAPER_SKILL_RUNS = {
    "Image-Comprehension": (3, 1, 2, 1, 6, 21, 4, 1, 2, 6, 1, 2, 4, 2, 8, 2, 40, 19, 6, 1,
                            6, 6, 14, 9, 1, 37, 4, 32, 1, 1, 3, 1, 1, 7, 1, 2, 1, 6, 5, 1),
    "Image-Generation": (1, 1, 7, 6, 1, 2, 1, 1, 3, 1, 1, 4, 1, 4, 11),
    "Video-Comprehension": (17, 17, 16, 9, 4, 4, 3, 3, 2, 2, 5, 3, 4, 8, 7, 5, 5, 5, 3, 4),
    "Video-Generation": (13, 3, 5, 11, 9, 5),
    "Audio-Comprehension": (4, 3, 1, 4, 3, 2, 2, 2, 3),
    "Audio-Generation": (1, 1, 2, 2, 2, 1, 1, 1, 3, 4, 2),
    "3D-Comprehension": (5, 2, 2, 1, 1, 1, 1, 6, 1, 1, 1, 7, 1),
    "3D-Generation": (1, 2, 4, 4, 4, 4, 1, 1, 1),
}
GROUP_PREFIX = {"Image": "I", "Video": "V", "Audio": "A", "3D": "3D"}
PARADIGM_LETTER = {"comprehension": "C", "generation": "G"}

# Short names for the groups whose tasks make the skill obvious (read off the task names); a group
# without an entry is called e.g. "Image comprehension skill #14".
SKILL_GROUP_NAMES = {
    "I-C #1": "Action recognition", "I-C #2": "Sketch-to-HTML code generation",
    "I-C #3": "Crack detection", "I-C #4": "Plant disease detection",
    "I-C #5": "Disease recognition (plants, medical)", "I-C #6": "Multi-page document VQA",
    "I-C #7": "Emotion and expression recognition", "I-C #8": "Spectrum graph car classification",
    "I-C #9": "Hallucination detection", "I-C #10": "Image captioning",
    "I-C #11": "Indoor depth estimation", "I-C #12": "Instance segmentation", "I-C #13": "OCR",
    "I-C #15": "Semantic segmentation", "I-C #16": "Visual grounding",
    "I-C #17": "Visual question answering and dialogue", "I-C #18": "Anomaly detection",
    "I-C #19": "Medical image segmentation", "I-C #20": "Person keypoint detection",
    "I-C #21": "Image-pair comparison and matching", "I-C #22": "Embodied planning and dialogue",
    "I-C #23": "Multi-image reasoning", "I-C #24": "Object counting",
    "I-C #25": "Multimodal neural translation", "I-C #26": "Object detection",
    "I-C #27": "Image matting", "I-C #28": "Image recognition and classification",
    "I-C #29": "Panoptic segmentation", "I-C #30": "Yoga pose recognition",
    "I-C #31": "Spatial relationships", "I-C #32": "RGB-D semantic segmentation",
    "I-C #33": "Strawberry ripeness recognition", "I-C #34": "Safety and hazard detection",
    "I-C #35": "Scene graph parsing", "I-C #36": "Terrain and landscape recognition",
    "I-C #37": "Sign language recognition", "I-C #38": "Change and difference description",
    "I-C #39": "Visual storytelling", "I-C #40": "Weather recognition",
    "I-G #1": "Edge-to-image generation", "I-G #2": "EEG-based image generation",
    "I-G #3": "Image restoration (rain, haze, snow, blur)", "I-G #4": "Image enhancement and removal",
    "I-G #5": "Face image inpainting", "I-G #6": "Image style transfer",
    "I-G #7": "Infection-map generation", "I-G #8": "Face sketch synthesis",
    "I-G #9": "Multi-prompt image editing", "I-G #10": "Layout-to-face generation",
    "I-G #11": "Mask-to-face generation", "I-G #12": "Sketch-to-image generation",
    "I-G #13": "Sound-to-image generation", "I-G #15": "Text-to-image generation",
    "V-C #1": "Video question answering", "V-C #3": "Human action captioning and understanding",
    "V-C #4": "Video captioning", "V-C #5": "In-the-wild video object segmentation",
    "V-C #6": "Video object segmentation", "V-C #7": "Street-scene video object segmentation",
    "V-C #8": "Referring video object segmentation", "V-C #9": "Reasoning video object segmentation",
    "V-C #10": "Spatio-temporal action detection",
    "V-C #11": "Complex-scene reasoning video object segmentation", "V-C #12": "Video grounding",
    "V-C #13": "Video depth estimation", "V-C #14": "Attribute-aware object matching",
    "V-C #15": "Object tracking", "V-C #16": "Long-video object tracking",
    "V-C #17": "UAV video tracking", "V-C #18": "Underwater and crowd tracking",
    "V-C #19": "Optical flow estimation",
    "V-G #1": "Text-to-video generation", "V-G #2": "Attribute-specific text-to-video generation",
    "V-G #3": "Action and human video generation", "V-G #4": "Image-to-video generation",
    "V-G #5": "Video restoration and enhancement",
    "A-C #1": "Speaker and vocal-sound recognition", "A-C #2": "Speech intent and command understanding",
    "A-C #3": "Speech emotion recognition", "A-C #4": "Music genre, instrument and pitch analysis",
    "A-C #5": "Note, singer and vocal-technique analysis", "A-C #6": "Audio captioning",
    "A-C #7": "Audio question answering", "A-C #8": "Animal sound detection",
    "A-C #9": "Acoustic scene and sound event recognition",
    "A-G #1": "Audio editing", "A-G #2": "Conversational speech generation",
    "A-G #3": "Emotional speech synthesis and style transfer", "A-G #4": "Text-to-speech",
    "A-G #5": "Text-to-audio generation", "A-G #6": "Image-to-speech", "A-G #7": "Video-to-audio",
    "A-G #8": "Voice conversion", "A-G #9": "Speech translation",
    "A-G #10": "Music and singing generation", "A-G #11": "Music style transfer",
    "3D-C #1": "3D object classification (accessories, appliances, tableware, instruments, persons)",
    "3D-C #2": "3D object classification (furniture, structures)",
    "3D-C #3": "3D object classification (electronics, vehicles)",
    "3D-C #4": "3D indoor semantic segmentation", "3D-C #5": "3D outdoor semantic segmentation",
    "3D-C #6": "3D instance segmentation", "3D-C #7": "3D odometry", "3D-C #8": "3D part segmentation",
    "3D-C #9": "3D tracking", "3D-C #10": "3D normal estimation", "3D-C #11": "3D detection",
    "3D-C #12": "3D question answering", "3D-C #13": "3D motion captioning",
    "3D-G #1": "Point cloud completion", "3D-G #2": "Point cloud to mesh reconstruction",
    "3D-G #3": "Text-to-point-cloud generation", "3D-G #4": "Text-to-mesh generation",
    "3D-G #5": "Image-to-point-cloud generation", "3D-G #6": "Image-to-mesh generation",
    "3D-G #7": "RGB-D to point cloud reconstruction", "3D-G #8": "RGB-D to mesh reconstruction",
    "3D-G #9": "Text-to-motion generation",
}


def paper_skill_groups(sheet: str, modality: str, paradigm: str, n_tasks: int) -> list[tuple[str, str]]:
    """(skill_group, skill_group_name) for each of a sheet's ``n_tasks`` rows, in row order.

    Fails when a non-NLP sheet has no runs or its runs do not add up to its task count: a changed
    sheet must not silently shift every later group.
    """
    if modality == "NLP":
        raise ValueError("the paper's NLP skill groups cannot be recovered from the sheet order")
    if sheet not in PAPER_SKILL_RUNS:
        raise SystemExit(f"sheet {sheet!r}: no paper skill runs in PAPER_SKILL_RUNS")
    runs = PAPER_SKILL_RUNS[sheet]
    if sum(runs) != n_tasks:
        raise SystemExit(f"sheet {sheet!r}: the paper's skill runs cover {sum(runs)} tasks, the sheet "
                         f"has {n_tasks}; PAPER_SKILL_RUNS no longer fits the sheet")
    prefix = f"{GROUP_PREFIX[modality]}-{PARADIGM_LETTER[paradigm]}"
    out = []
    for k, n in enumerate(runs, start=1):
        gid = f"{prefix} #{k}"
        name = SKILL_GROUP_NAMES.get(gid) or f"{modality} {paradigm} skill #{k}"
        out += [(gid, name)] * n
    return out


def nlp_skill_group(skill: str) -> tuple[str, str]:
    """NLP tasks: their keyword skill, labelled as such (the paper's 22 NLP groups are unknown)."""
    return f"NLP: {skill}", f"NLP keyword cluster: {skill} (not the paper's grouping)"


def metric_options(metric: str, name: str, modality: str = "", paradigm: str = "") -> dict[str, object]:
    """Per-task compute options: where one metric name covers two definitions in the sheet, and the
    General-Bench convention where its official predictors compute a metric in a particular way
    (docs/general-bench-other-modalities.md lists the source of each)."""
    if metric == "F1" and re.search(r"question answering|triviaqa", name, re.I):
        return {"mode": "token"}  # SQuAD-style token F1 over answers
    if metric == "AUC" and re.search(r"tracking", name, re.I):
        return {"curve": "success"}  # single-object tracking: area under the success plot
    if name in DATASET_OPTIONS:
        return dict(DATASET_OPTIONS[name])
    return dict(GENERAL_BENCH_OPTIONS.get((modality, paradigm, metric), {}).get(
        "matching" if re.search(r"matching", name, re.I) else
        "contains" if (modality, metric) == ("Audio", "Acc") and re.search(r"environment sound", name, re.I) else
        "*", {}))


# The official predictors' conventions per (modality, paradigm, metric); "matching"/"contains" pick
# the entry for tasks whose name says so. Video QA accuracy is containment, video matching exact
# answers; video captioning BLEU-1 is pycocoevalcap's corpus BLEU on lower-cased whitespace tokens;
# audio captioning the NLP sentence BLEU-1; segmentation, depth and flow average per video.
GENERAL_BENCH_OPTIONS: dict[tuple[str, str, str], dict[str, dict[str, object]]] = {
    ("Video", "comprehension", "Acc"): {"*": {"match": "contains"}, "matching": {"match": "answers"}},
    ("Video", "comprehension", "BLEU-1"): {"*": {"tokenize": "none", "lowercase": True}},
    ("Video", "comprehension", "mIoU"): {"*": {"per_video": True}},
    ("Video", "comprehension", "m_vIoU"): {"*": {"zero_box_absent": True}},
    ("Video", "comprehension", "AbsRel"): {"*": {"align": "scale_shift", "depth_range": [0.001, 80.0],
                                                 "reduction": "per_sample"}},
    ("Video", "comprehension", "EPE"): {"*": {"reduction": "per_sample"}},
    ("Video", "comprehension", "S-measure"): {"*": {"variant": "general-bench"}},
    ("Video", "generation", "PSNR"): {"*": {"skip_identical": True}},
    ("Audio", "comprehension", "BLEU-1"): {"*": {"sentence": True, "smoothing": 4, "tokenize": "nltk"}},
    ("Audio", "comprehension", "Acc"): {"contains": {"match": "contains"}},
    # 3D Detection's SoTA (68.52) is a nuScenes detection mAP: boxes matched by centre distance
    ("3D", "comprehension", "mAP"): {"*": {"matching": "center-distance"}},
}


# What a metric needs from the task's dataset, from the dataset's public definition.
# Road Scene Panoptic Segmentation is Cityscapes panoptic (its SoTA, PQ 64.1, is Panoptic-DeepLab X-71
# multi-scale on Cityscapes val). The split is cityscapesScripts' labels.py: the evaluated labels
# (ignoreInEval False) with hasInstances are things, the others stuff; ids are Cityscapes label ids,
# the category_id of the official gtFine panoptic JSON.
DATASET_OPTIONS: dict[str, dict[str, object]] = {
    "Road Scene Panoptic Segmentation": {
        "things": [24, 25, 26, 27, 28, 31, 32, 33],  # person rider car truck bus train motorcycle bicycle
        "stuffs": [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23],  # road sidewalk building wall fence pole
    },                                                         # traffic light/sign vegetation terrain sky
}

# Task adapters ("module:attr") for tasks whose files the default adapter of their metric cannot read.
TASK_ADAPTERS = {"3D Tracking": "generallevel_builtin.tracking3d:adapt"}


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return _q(str(v))


def skill_for(name: str, paradigm: str) -> str:
    for skill, pattern in SKILL_RULES:
        if re.search(pattern, name, re.IGNORECASE):
            return skill
    return "generation" if paradigm == "generation" else "understanding"


def canonical_metric(spelling: str, task_name: str) -> str:
    spelling = spelling.strip()
    if spelling in CLIP_SPELLINGS:
        text_to = re.search(r"text[- ]to|t2i|text-based|text-driven|prompt|long-text", task_name, re.I)
        return "CLIP-T" if text_to else "CLIP-I"
    return SHEET_METRIC[spelling]


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def convert(xlsx: Path) -> str:
    import openpyxl
    from generallevel.tasks import slugify

    wb = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
    out = [
        "# General-Bench task catalogue (699 tasks), generated by scripts/convert_sota_sheet.py",
        "# from the official SoTA sheet. `sota` is in `sota_unit` (the unit official workbooks use).",
        "# `sheet_metric` keeps the sheet's spelling; `metric` is the canonical generallevel name.",
        "# `skill_group` is the paper's skill group (Scope-D boards), `skill` a keyword cluster (docs/scopes.md).",
        "",
    ]
    seen: set[str] = set()
    for ws in wb.worksheets:
        sheet = ws.title
        modality, _, paradigm = sheet.partition("-")
        paradigm = paradigm.lower() or "none"
        rows = ws.iter_rows(values_only=True)
        header = [str(h).strip() for h in next(rows)]
        records = [rec for rec in (dict(zip(header, row)) for row in rows) if rec.get("Task Name")]
        groups = (paper_skill_groups(sheet, modality, paradigm, len(records)) if modality != "NLP"
                  else None)
        for i, rec in enumerate(records):
            name = " ".join(str(rec["Task Name"]).split())
            short = " ".join(str(rec.get("Task Short Name") or "").split())
            spelling = str(rec["Metrics"]).strip()
            metric = canonical_metric(spelling, name)
            tid = slugify(name)
            if tid in seen:
                tid = f"{slugify(modality)}-{tid}"
            assert tid not in seen, tid
            seen.add(tid)
            skill = skill_for(name, paradigm)
            group, group_name = groups[i] if groups is not None else nlp_skill_group(skill)
            out += [
                "[[task]]",
                f"id = {_q(tid)}",
                f"name = {_q(name)}",
                f"short_name = {_q(short)}",
                f"modality = {_q(modality)}",
                f"paradigm = {_q(paradigm)}",
                f"metric = {_q(metric)}",
                f"sheet_metric = {_q(spelling)}",
                f"sota = {float(rec['SoTA Performance'])!r}",
                f"sota_unit = {_q(SHEET_UNIT.get(metric, 'percent'))}",
                f"skill = {_q(skill)}",
                f"skill_group = {_q(group)}",
                f"skill_group_name = {_q(group_name)}",
                f"sheet = {_q(sheet)}",
            ]
            if name in TASK_ADAPTERS:
                out.append(f"adapter = {_q(TASK_ADAPTERS[name])}")
            opts = metric_options(metric, name, modality, paradigm)
            if opts:
                inner = ", ".join(f"{k} = {_toml_value(v)}" for k, v in opts.items())
                out.append(f"metric_options = {{ {inner} }}")
            out += [
                "",
            ]
    return "\n".join(out)


if __name__ == "__main__":
    src = Path(sys.argv[1] if len(sys.argv) > 1 else
               "../shared/reference/general-level-scorer/sota_result.xlsx")
    dst = Path(sys.argv[2] if len(sys.argv) > 2 else "registry.toml")
    dst.write_text(convert(src), encoding="utf-8")
    print(f"wrote {dst}")
