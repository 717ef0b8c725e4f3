#!/usr/bin/env python3
"""How much a photo edit changed the lower face, against by-eye labels (evaluation only).

For every `delta_<attribute>_<photo>_p_<change>_{start,result}.png` pair written by
`talk-to-edit eval-photos --images DIR` and listed in LABELS (a csv with columns photo, change,
by_eye = broken | fine), measures in the lower face of the photo (rows 40-85%, columns 15-85%)
the mean colour change (0-255 units) and the mean gradient magnitude of the change, and prints
each measure's AUC for "broken" and what refusing above a few thresholds would refuse.

    .venv-eval/bin/python scripts/lower_face_change.py DIR LABELS.csv [--attribute smiling]
"""
import argparse
import csv
import pathlib

import numpy as np
from PIL import Image


def load(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)


def gradient(g):
    gy = np.zeros_like(g)
    gx = np.zeros_like(g)
    gy[1:-1] = g[2:] - g[:-2]
    gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
    return np.hypot(gx, gy)


def measures(start, result):
    h, w, _ = start.shape
    box = (slice(int(0.40 * h), int(0.85 * h)), slice(int(0.15 * w), int(0.85 * w)))
    change = result[box] - start[box]
    return {
        "mean_change": float(np.abs(change).mean()),
        "mean_gradient_of_change": float(gradient(change.mean(2)).mean()),
    }


def auc(x, broken):
    pos, neg = x[broken], x[~broken]
    return float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", type=pathlib.Path)
    ap.add_argument("labels", type=pathlib.Path)
    ap.add_argument("--attribute", default="smiling")
    args = ap.parse_args()
    rows, broken = [], []
    for r in csv.DictReader(args.labels.open()):
        stem = f"delta_{args.attribute}_{r['photo']}_p_{r['change']}"
        start = args.images / f"{stem}_start.png"
        rows.append(measures(load(start), load(args.images / f"{stem}_result.png")))
        broken.append(r["by_eye"] == "broken")
    broken = np.array(broken)
    print(f"{len(rows)} edits, {broken.sum()} broken by eye")
    for name in rows[0]:
        x = np.array([r[name] for r in rows])
        print(f"{name}: AUC {auc(x, broken):.3f}, median broken {np.median(x[broken]):.2f}, "
              f"fine {np.median(x[~broken]):.2f}")
        for t in np.percentile(x, [40, 50, 60]):
            print(f"  refuse > {t:.1f}: broken {int((x[broken] > t).sum())}/{broken.sum()}, "
                  f"fine {int((x[~broken] > t).sum())}/{(~broken).sum()}")


if __name__ == "__main__":
    main()
