#!/usr/bin/env python3
"""Example images of the degree labels, for models/LABELS.md.

For each attribute, one JPEG with a row per degree 0..5 (and one for "unknown"): up to COLS
random faces (fixed seed) with that label, from the 128 px crops of a dataset made by
`talk-to-edit label generated` and the labels written by `talk-to-edit train predictor`.

usage: scripts/label_examples.py DATASET_DIR LABELS_CSV OUT_DIR
Needs Pillow (pip install pillow). A documentation helper only; nothing in the product uses it.
"""
import csv
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw

COLS, SIDE, LABEL_W = 8, 96, 70
ATTRIBUTES = ["bangs", "eyeglasses", "beard", "smiling", "age"]


def main() -> None:
    data, labels, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    rows = list(csv.DictReader(labels.open()))
    out.mkdir(parents=True, exist_ok=True)
    for attr in ATTRIBUTES:
        degrees = ["0", "1", "2", "3", "4", "5", "-"]
        sheet = Image.new("RGB", (LABEL_W + COLS * SIDE, len(degrees) * SIDE), "white")
        draw = ImageDraw.Draw(sheet)
        for r, degree in enumerate(degrees):
            faces = [row for row in rows if row[attr] == degree]
            random.Random(f"{attr}{degree}").shuffle(faces)
            name = "unknown" if degree == "-" else f"degree {degree}"
            draw.text((4, r * SIDE + SIDE // 2 - 12), f"{name}\n{len(faces)} faces", fill="black")
            for c, row in enumerate(faces[:COLS]):
                face = Image.open(data / "crops" / f"{row['seed']}.png").resize((SIDE, SIDE))
                sheet.paste(face, (LABEL_W + c * SIDE, r * SIDE))
        sheet.save(out / f"{attr}.jpg", quality=80)
        print(out / f"{attr}.jpg")


if __name__ == "__main__":
    main()
