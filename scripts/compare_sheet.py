#!/usr/bin/env python3
"""Contact sheet of the same photo edits from several `eval-photos --images` runs (evaluation only).

Each row is one edit (`<mode>_<attribute>_<photo>_p_<change>_result.png` present in every run;
a run is NAME=DIR for the product's mode, delta, or NAME=DIR@MODE for another):
the photo, then each run's result, cropped to the lower face (rows 40-85%, columns 15-85%) unless
--whole, with a caption (photo, change, and each run's label). Used to judge transfers by eye.

    .venv-eval/bin/python scripts/compare_sheet.py OUT.jpg NAME=DIR[@MODE] [NAME=DIR[@MODE] ...] \
        [--attribute smiling] [--whole] [--only PHOTO_CHANGE,...] [--rows-per-sheet N]
"""
import argparse
import pathlib
import re

from PIL import Image, ImageDraw

PATTERN = re.compile(r"_(\w+?)_(\d+)_p_([+-]?\d+)_result\.png$")


def crop(img, whole):
    if whole:
        return img
    w, h = img.size
    return img.crop((int(0.15 * w), int(0.40 * h), int(0.85 * w), int(0.85 * h)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("runs", nargs="+", help="NAME=DIR")
    ap.add_argument("--attribute")
    ap.add_argument("--whole", action="store_true")
    ap.add_argument("--only", help="comma-separated PHOTO_CHANGE keys, e.g. 000011_-1")
    ap.add_argument("--cell", type=int, default=200)
    ap.add_argument("--columns", type=int, default=1, help="edits side by side per row")
    args = ap.parse_args()
    runs = []
    for r in args.runs:
        name, rest = r.split("=", 1)
        path, _, mode = rest.partition("@")
        runs.append((name, pathlib.Path(path), mode or "delta"))
    keys = None
    for _, d, mode in runs:
        found = set()
        for f in d.glob(f"{mode}_*_result.png"):
            m = PATTERN.search(f.name)
            if m and (args.attribute is None or m.group(1) == args.attribute):
                found.add((m.group(1), m.group(2), m.group(3)))
        keys = found if keys is None else keys & found
    keys = sorted(keys or [])
    if args.only:
        by_key = {f"{k[1]}_{k[2]}": k for k in keys}
        keys = [by_key[w] for w in args.only.split(",") if w in by_key]
    cell = args.cell
    rows = []
    for attr, photo, change in keys:
        d0 = runs[0][1]
        imgs = [crop(Image.open(d0 / f"photo_{photo}.png").convert("RGB"), args.whole)]
        for _, d, mode in runs:
            imgs.append(crop(Image.open(d / f"{mode}_{attr}_{photo}_p_{change}_result.png").convert("RGB"), args.whole))
        scaled = [im.resize((cell, int(cell * im.height / im.width))) for im in imgs]
        rows.append((f"{attr} {photo} {int(change):+d}", scaled))
    if not rows:
        raise SystemExit("no edit is in every run")
    cols = max(1, args.columns)
    block = cell * (len(runs) + 1) + 8
    lines = [rows[i : i + cols] for i in range(0, len(rows), cols)]
    height = sum(max(r[1][0].height for r in line) + 14 for line in lines)
    sheet = Image.new("RGB", (block * cols, height + 14), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((2, 1), " | ".join(["photo"] + [n for n, _, _ in runs]), fill="black")
    y = 14
    for line in lines:
        for c, (caption, imgs) in enumerate(line):
            draw.text((c * block + 2, y), caption, fill="black")
            for i, im in enumerate(imgs):
                sheet.paste(im, (c * block + i * cell, y + 14))
        y += 14 + max(r[1][0].height for r in line)
    sheet.save(args.out, quality=90)
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
