#!/usr/bin/env python3
"""Independent identity and face check for edits (evaluation only; the product never runs it).

dlib's ResNet face descriptor (PyPI `dlib-bin` + `face_recognition_models`) is a face model the
project neither trains nor optimises against. For every `<stem>_start.png` / `<stem>_result.png`
pair written by `talk-to-edit eval-edits --images DIR`, it finds the face with dlib's own HOG
detector (a second, independent "is there a face" check), computes both 128-d descriptors and
their distance (dlib's scale: < 0.6 = same person), and prints a markdown table per method and
attribute, and one over all attributes per method (stems are
`<method>_<attribute>_<seed>_<psi>_<change>`).

    python3 -m venv .venv-eval && .venv-eval/bin/pip install dlib-bin face_recognition_models numpy pillow
    .venv-eval/bin/python scripts/identity_dlib.py DIR [--csv out.csv]
"""
import argparse
import collections
import pathlib
import statistics
import sys

import dlib
import face_recognition_models as frm
import numpy as np
from PIL import Image

detector = dlib.get_frontal_face_detector()
shapes = dlib.shape_predictor(frm.pose_predictor_model_location())
encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())


def descriptor(path):
    """The descriptor of the largest face, or None when dlib finds no face."""
    img = np.asarray(Image.open(path).convert("RGB"))
    faces = detector(img, 1)
    if not faces:
        return None
    face = max(faces, key=lambda r: r.width() * r.height())
    return np.array(encoder.compute_face_descriptor(img, shapes(img, face)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", type=pathlib.Path)
    ap.add_argument("--csv", type=pathlib.Path)
    args = ap.parse_args()
    starts = sorted(args.dir.glob("*_start.png"))
    if not starts:
        sys.exit(f"no *_start.png in {args.dir}")
    groups = collections.defaultdict(list)
    rows = []
    cache = {}
    for start in starts:
        stem = start.name[: -len("_start.png")]
        result = start.with_name(stem + "_result.png")
        if not result.exists():
            continue
        method, attribute = stem.split("_")[:2]
        key = stem.split("_")[2:4]  # seed, psi: the start image is the same for every edit
        if tuple(key) not in cache:
            cache[tuple(key)] = descriptor(start)
        a, b = cache[tuple(key)], descriptor(result)
        dist = None if a is None or b is None else float(np.linalg.norm(a - b))
        groups[(method, attribute)].append((a is not None, b is not None, dist))
        rows.append((stem, a is not None, b is not None, dist))
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("stem,start_face,result_face,distance\n")
            for stem, sa, sb, d in rows:
                f.write(f"{stem},{int(sa)},{int(sb)},{'' if d is None else f'{d:.4f}'}\n")
    print("| method | attribute | edits | results without a dlib face | same person (< 0.6) | median distance |")
    print("|---|---|---|---|---|---|")
    totals = collections.defaultdict(list)
    for (method, attribute), g in sorted(groups.items()):
        row(method, attribute, g)
        totals[method].extend(g)
    if len(groups) > len(totals):
        for method, g in sorted(totals.items()):
            row(method, "**all**", g)


def row(method, attribute, g):
    """One table row: edits, results dlib finds no face in, same person, median distance."""
    d = [x[2] for x in g if x[2] is not None]
    no_face = sum(1 for x in g if x[0] and not x[1])
    same = sum(1 for x in d if x < 0.6)
    med = f"{statistics.median(d):.3f}" if d else "-"
    print(f"| {method} | {attribute} | {len(g)} | {no_face} | {same} / {len(d)} | {med} |")


if __name__ == "__main__":
    main()
