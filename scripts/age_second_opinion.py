#!/usr/bin/env python3
"""A second age reader for evaluation only (the product never runs it).

The product reads a real photo's age with the age network `age-v1` (dlib's age predictor), and the
photo edits stop on that reading, so "reached" by `age-v1` judges an edit with the network it was
aimed at. This script reads age with a different network, Faceplugin's `fr_age.onnx` (an SSR-Net:
three stages of three bins with per-stage index offsets and scale deltas, merged as in Yang et al.
2018 with V = 101 years), on a face found by dlib's own HOG detector, the box widened by 40% on every
side (SSR-Net's crop) and resized to 64x64, channels in BGR order, ImageNet mean/std (of the
crops tried on the measured CelebA half, this one separates `Young` best: AUC 0.70, against 0.66
in RGB order and 0.45-0.61 without the mean/std; `age-v1` reaches 0.87 there, so this is a weak
reader). On the age edits of 52 photos (session 23, `models/trained/eval/photos/age23/`) it did
not see the change either: older results with grey hair, fine by eye, read older in 7 of 22, so
it is not used to judge edits; kept to reproduce that finding.

    .venv-eval/bin/pip install dlib-bin numpy pillow onnxruntime
    # does it know age at all? AUC against CelebA's `Young` on the measured half
    .venv-eval/bin/python scripts/age_second_opinion.py celeba PHOTOS_DIR data/celeba_attrs_000007-000256.tsv
    # the age edits of `eval-photos --images DIR`: did the age move the asked way?
    .venv-eval/bin/python scripts/age_second_opinion.py edits DIR [--csv out.csv]

FR_AGE: the model file (default: the model cache's Faceplugin package).
"""
import argparse
import collections
import os
import pathlib
import statistics
import sys

import dlib
import numpy as np
import onnxruntime
from PIL import Image

MODEL = pathlib.Path(
    os.environ.get(
        "FR_AGE",
        pathlib.Path.home()
        / ".cache/talk-to-edit/models/faceplugin-0.0.1/package/model/fr_age.onnx",
    )
)
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
MARGIN = 0.4
V = 101.0

detector = dlib.get_frontal_face_detector()
options = onnxruntime.SessionOptions()
options.log_severity_level = 3
session = onnxruntime.InferenceSession(str(MODEL), options)


def merge(out):
    """SSR-Net's stagewise soft regression: years from the three stages' outputs."""
    age, scale = 0.0, 1.0
    for k in (1, 2, 3):
        p = out[f"prob_stage_{k}"].reshape(-1)
        offset = out[f"index_offset_stage{k}"].reshape(-1)
        delta = float(out[f"stage{k}_delta_k"].reshape(-1)[0])
        scale *= len(p) * (1.0 + delta)
        age += float(np.sum(p * (np.arange(len(p)) + offset))) / scale
    return age * V


def years(path):
    """fr_age's years for the largest face dlib finds, or None."""
    img = Image.open(path).convert("RGB")
    a = np.asarray(img)
    faces = detector(a, 1)
    if not faces:
        return None
    f = max(faces, key=lambda r: r.width() * r.height())
    w, h = f.width(), f.height()
    box = (
        f.left() - MARGIN * w,
        f.top() - MARGIN * h,
        f.right() + MARGIN * w,
        f.bottom() + MARGIN * h,
    )
    chip = img.crop(tuple(int(round(v)) for v in box)).resize((64, 64), Image.BILINEAR)
    x = (np.asarray(chip, dtype=np.float32)[..., ::-1] / 255.0 - MEAN) / STD
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32)
    names = [o.name for o in session.get_outputs()]
    return merge(dict(zip(names, session.run(names, {"input": x}))))


def auc(scores, labels):
    pos = [s for s, l in zip(scores, labels) if l]
    neg = [s for s, l in zip(scores, labels) if not l]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def celeba(args):
    lines = args.labels.read_text().splitlines()
    header = lines[0].split("\t")
    col = header.index("Young")
    young = {l.split("\t")[0]: int(l.split("\t")[col]) > 0 for l in lines[1:]}
    ys, old = [], []
    for name in sorted(young):
        y = years(args.photos / name)
        if y is not None:
            ys.append(y)
            old.append(not young[name])
    print(
        f"{len(ys)} faces: fr_age years Young {statistics.mean(y for y, o in zip(ys, old) if not o):.1f}, "
        f"not Young {statistics.mean(y for y, o in zip(ys, old) if o):.1f}, AUC {auc(ys, old):.3f}"
    )


def edits(args):
    rows = []
    for start in sorted(args.dir.glob("*_age_*_start.png")):
        stem = start.name[: -len("_start.png")]
        change = int(stem.split("_")[-1])
        result = start.with_name(stem + "_result.png")
        if not result.exists():
            continue
        a, b = years(start), years(result)
        rows.append((stem, change, a, b))
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("stem,change,start_years,result_years\n")
            for stem, change, a, b in rows:
                f.write(f"{stem},{change},{'' if a is None else f'{a:.2f}'},{'' if b is None else f'{b:.2f}'}\n")
    by = collections.defaultdict(list)
    for stem, change, a, b in rows:
        if a is not None and b is not None:
            by[change].append((b - a) * change)
    for change, moved in sorted(by.items()):
        print(
            f"age {change:+d}: {len(moved)} read; moved the asked way {sum(m > 0 for m in moved)}, "
            f"median {statistics.median(moved):+.1f} years the asked way"
        )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("celeba")
    c.add_argument("photos", type=pathlib.Path)
    c.add_argument("labels", type=pathlib.Path)
    e = sub.add_parser("edits")
    e.add_argument("dir", type=pathlib.Path)
    e.add_argument("--csv", type=pathlib.Path)
    args = ap.parse_args()
    {"celeba": celeba, "edits": edits}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
