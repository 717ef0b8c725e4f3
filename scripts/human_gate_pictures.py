#!/usr/bin/env python3
"""Builds the pictures the people-only gate is fitted and measured on (models/trained/HUMAN_GATE.md).

Usage (a Python with pillow, numpy, scikit-image and scikit-learn; apt-get and pip reachable):
    python3 scripts/human_gate_pictures.py OUT

Writes, under OUT:
  stamps/   every Tux Paint stamp (Debian `tuxpaint-stamps-default` 2022.06.04-1, GPL-2) but
            the two photos of firemen (drawn people and toys stay), flattened onto a grey 560x560 canvas (the measured non-human set; the
            stamps of train_stamps.txt were also used, augmented, to fit the probe);
  train/    6 augmented copies of every 2nd stamp (sorted paths 0, 2, 4, ...; listed in
            train_stamps.txt): turned, scaled, on random colours, noised, sometimes blurred, JPEG
            (the probe's negatives);
  misc/     scikit-image's bundled pictures (chelsea the cat, coffee, rocket, ...), scikit-learn's
            china and flower, scipy 1.9.3's raccoon (measured, never fitted on);
  drawn/    12 drawn faces (cartoon, line drawing, smiley, mask) made here (measured, never
            fitted on);
  human/    scikit-image's astronaut and camera (two photos of people, measured as humans).
"""
import glob
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import bz2

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def stamps(out, tmp):
    subprocess.run(["apt-get", "download", "tuxpaint-stamps-default"], cwd=tmp, check=True)
    deb = glob.glob(os.path.join(tmp, "tuxpaint-stamps-default_*.deb"))[0]
    subprocess.run(["dpkg-deb", "-x", deb, os.path.join(tmp, "tp")], check=True)
    root = os.path.join(tmp, "tp/usr/share/tuxpaint/stamps")
    files = sorted(glob.glob(root + "/**/*.png", recursive=True))
    os.makedirs(f"{out}/stamps", exist_ok=True)
    for p in files:
        rel = os.path.relpath(p, root)
        if rel.startswith("people/fireman"):
            continue  # photos of people (neither shows a face the detector finds)
        im = Image.open(p).convert("RGBA")
        w, h = im.size
        s = 480 / max(w, h)
        im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
        bg = Image.new("RGBA", (560, 560), (200, 200, 200, 255))
        bg.alpha_composite(im, ((560 - im.size[0]) // 2, (560 - im.size[1]) // 2))
        bg.convert("RGB").save(f"{out}/stamps/{rel.replace('/', '__')[:-4]}.png")
    # The probe's negatives: augmented copies of every 2nd stamp (people/ left out).
    random.seed(7)
    rng = np.random.default_rng(7)
    train = [f for f in files if "/people/" not in f][0::2]
    with open(f"{out}/train_stamps.txt", "w") as f:
        f.write("\n".join(os.path.relpath(p, root) for p in train) + "\n")
    os.makedirs(f"{out}/train", exist_ok=True)
    for p in train:
        src = Image.open(p).convert("RGBA")
        base = os.path.relpath(p, root).replace("/", "__")[:-4]
        for k in range(6):
            im = src.copy()
            if random.random() < 0.5:
                im = im.transpose(Image.FLIP_LEFT_RIGHT)
            im = im.rotate(random.uniform(-20, 20), expand=True, resample=Image.BICUBIC)
            side = random.uniform(180, 540)
            s = side / max(im.size)
            im = im.resize((max(1, int(im.size[0] * s)), max(1, int(im.size[1] * s))), Image.LANCZOS)
            W, H = random.choice([(560, 560), (640, 480), (480, 640)])
            col = tuple(int(c) for c in rng.integers(0, 256, 3))
            bg = Image.new("RGBA", (W, H), col + (255,))
            x = random.randint(min(0, W - im.size[0]), max(0, W - im.size[0]))
            y = random.randint(min(0, H - im.size[1]), max(0, H - im.size[1]))
            if x >= 0 and y >= 0:
                bg.alpha_composite(im, (x, y))
            else:
                bg.paste(im, (x, y), im)
            a = np.asarray(bg.convert("RGB")).astype(np.float32)
            a += rng.normal(0, random.uniform(0, 6), a.shape)
            img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
            if random.random() < 0.3:
                img = img.filter(ImageFilter.GaussianBlur(random.uniform(0.5, 1.5)))
            img.save(f"{out}/train/{base}_{k}.jpg", quality=random.randint(70, 95))


def misc(out, tmp):
    import skimage
    import sklearn

    os.makedirs(f"{out}/misc", exist_ok=True)
    os.makedirs(f"{out}/human", exist_ok=True)
    sk = os.path.join(os.path.dirname(skimage.__file__), "data")
    for n in ["chelsea.png", "coffee.png", "rocket.jpg", "horse.png", "motorcycle_left.png",
              "hubble_deep_field.jpg", "retina.jpg", "color.png", "logo.png", "brick.png",
              "grass.png", "coins.png", "page.png", "text.png", "moon.png", "ihc.png",
              "clock_motion.png", "phantom.png"]:
        shutil.copy(os.path.join(sk, n), f"{out}/misc/skimage_{n}")
    for n in ["astronaut.png", "camera.png"]:
        shutil.copy(os.path.join(sk, n), f"{out}/human/skimage_{n}")
    sl = os.path.join(os.path.dirname(sklearn.__file__), "datasets/images")
    for n in ["china.jpg", "flower.jpg"]:
        shutil.copy(os.path.join(sl, n), f"{out}/misc/sklearn_{n}")
    # scipy <= 1.9 bundled a raccoon photo (public domain) as scipy/misc/face.dat.
    subprocess.run([sys.executable, "-m", "pip", "download", "scipy==1.9.3", "--no-deps",
                    "--only-binary=:all:", "--python-version", "3.10", "--platform",
                    "manylinux2014_x86_64", "-d", tmp], check=True)
    import zipfile
    whl = glob.glob(os.path.join(tmp, "scipy-1.9.3-*.whl"))[0]
    raw = bz2.decompress(zipfile.ZipFile(whl).read("scipy/misc/face.dat"))
    face = Image.fromarray(np.frombuffer(raw, dtype=np.uint8).reshape(768, 1024, 3))
    face.save(f"{out}/misc/scipy_raccoon.png")
    face.crop((300, 0, 1024, 768)).resize((362, 384), Image.LANCZOS).save(
        f"{out}/misc/scipy_raccoon_face.jpg", quality=90)


def drawn_face(style, skin, bg):
    im = Image.new("RGB", (512, 512), bg)
    d = ImageDraw.Draw(im)
    if style == "smiley":
        d.ellipse([56, 70, 456, 470], fill=skin, outline=(0, 0, 0), width=8)
        d.ellipse([170, 170, 220, 250], fill=(0, 0, 0))
        d.ellipse([292, 170, 342, 250], fill=(0, 0, 0))
        d.arc([140, 200, 372, 400], 20, 160, fill=(0, 0, 0), width=12)
    elif style == "line":
        d.ellipse([110, 60, 402, 470], outline=(20, 20, 20), width=4)
        for ex in (190, 322):
            d.ellipse([ex - 38, 210, ex + 38, 250], outline=(20, 20, 20), width=4)
            d.ellipse([ex - 12, 218, ex + 12, 242], fill=(20, 20, 20))
            d.arc([ex - 45, 170, ex + 45, 215], 200, 340, fill=(20, 20, 20), width=5)
        d.line([256, 240, 240, 330, 270, 335], fill=(20, 20, 20), width=4)
        d.arc([196, 350, 316, 410], 15, 165, fill=(20, 20, 20), width=5)
    elif style == "cartoon":
        d.ellipse([40, 20, 472, 330], fill=(60, 40, 20))
        d.ellipse([100, 80, 412, 480], fill=skin, outline=(90, 60, 40), width=3)
        for ex in (195, 317):
            d.ellipse([ex - 40, 220, ex + 40, 265], fill=(255, 255, 255), outline=(0, 0, 0), width=3)
            d.ellipse([ex - 16, 226, ex + 16, 258], fill=(60, 110, 200))
            d.ellipse([ex - 7, 235, ex + 7, 249], fill=(0, 0, 0))
            d.line([ex - 45, 195, ex + 40, 190], fill=(60, 40, 20), width=10)
        d.polygon([(256, 260), (236, 340), (276, 340)], fill=tuple(max(0, c - 30) for c in skin))
        d.chord([200, 360, 312, 420], 0, 180, fill=(190, 40, 60))
        d.ellipse([125, 300, 175, 340], fill=(240, 150, 150))
        d.ellipse([337, 300, 387, 340], fill=(240, 150, 150))
    elif style == "mask":
        d.polygon([(256, 40), (440, 180), (400, 440), (256, 490), (112, 440), (72, 180)],
                  fill=skin, outline=(0, 0, 0))
        d.polygon([(150, 220), (230, 200), (225, 260), (160, 260)], fill=(0, 0, 0))
        d.polygon([(282, 200), (362, 220), (352, 260), (287, 260)], fill=(0, 0, 0))
        d.line([256, 240, 256, 350], fill=(0, 0, 0), width=6)
        d.rectangle([200, 380, 312, 400], fill=(0, 0, 0))
    return im


def drawn(out):
    os.makedirs(f"{out}/drawn", exist_ok=True)
    skins = [(255, 220, 0), (241, 194, 125), (198, 134, 66), (141, 85, 36), (255, 224, 189)]
    bgs = [(255, 255, 255), (120, 170, 220), (230, 230, 230)]
    for k, style in enumerate(["smiley", "line", "cartoon", "mask"] * 3):
        drawn_face(style, skins[k % 5], bgs[k % 3]).save(f"{out}/drawn/drawn_{style}_{k:02d}.png")


if __name__ == "__main__":
    out = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        stamps(out, tmp)
        misc(out, tmp)
    drawn(out)
