#!/usr/bin/env python3
"""The generator's CPU reference: MobileStyleGAN's OpenVINO IR (random-face==2021.7.21.1) run by OpenVINO.

Two uses, both on the IR files in --model-dir (the model cache's `talk-to-edit models fetch` copy):
  fixtures  writes the parity fixtures of tests/fixtures/reference (see its README) for some seeds;
  bench     times mapping and synthesis and prints one JSON line (read by `talk-to-edit bench`).

The pipeline: z = numpy.random.RandomState(seed).randn(512) as f32 [1, 512] -> MappingNetwork
-> w [1, 512] -> SynthesisNetwork -> RGB [1, 3, 1024, 1024] in about [-1, 1]. No truncation.
Installed by scripts/setup-reference.sh (openvino, numpy, pillow pinned there).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import openvino as ov


def load(core, model_dir, name, threads, batch):
    model = core.read_model(os.path.join(model_dir, name + ".xml"))
    model.reshape({0: [batch, 512]})
    config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    return core.compile_model(model, "CPU", config)


def latent(seed):
    return np.random.RandomState(seed).randn(512).reshape(1, 512).astype(np.float32)


def fixtures(core, args):
    from PIL import Image

    os.makedirs(args.out, exist_ok=True)
    mapping = load(core, args.model_dir, "MappingNetwork", args.threads, 1)
    synthesis = load(core, args.model_dir, "SynthesisNetwork", args.threads, 1)
    for seed in args.seeds:
        z = latent(seed)
        w = mapping(z)[0].astype(np.float32)
        img = synthesis(w)[0][0].astype(np.float32)  # [3, 1024, 1024]
        stem = os.path.join(args.out, f"seed{seed}")
        np.save(stem + "_z.npy", z)
        np.save(stem + "_w.npy", w)
        np.save(stem + "_img_center256.npy", np.ascontiguousarray(img[:, 384:640, 384:640]))
        rgb = np.clip((np.clip(img, -1.0, 1.0) + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
        Image.fromarray(rgb.transpose(1, 2, 0)).save(stem + ".png")
        print(f"seed {seed}: wrote {stem}{{_z,_w,_img_center256}}.npy and {stem}.png")


def timed(request, x, runs, warmup=2):
    for _ in range(warmup):
        request.infer({0: x})
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        request.infer({0: x})
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms)


def bench(core, args):
    z = np.concatenate([latent(s) for s in range(args.batch)])
    mapping = load(core, args.model_dir, "MappingNetwork", args.threads, args.batch)
    synthesis = load(core, args.model_dir, "SynthesisNetwork", args.threads, args.batch)
    w = mapping(z)[0]
    map_med, map_min = timed(mapping.create_infer_request(), z, args.runs)
    syn_med, syn_min = timed(synthesis.create_infer_request(), w, args.runs)
    print(json.dumps({
        "openvino": ov.__version__,
        "cpu": core.get_property("CPU", "FULL_DEVICE_NAME"),
        "threads": synthesis.get_property("INFERENCE_NUM_THREADS"),
        "batch": args.batch,
        "runs": args.runs,
        "mapping_ms_median": map_med,
        "mapping_ms_min": map_min,
        "synthesis_ms_median": syn_med,
        "synthesis_ms_min": syn_min,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, help="folder with MappingNetwork.xml and SynthesisNetwork.xml")
    ap.add_argument("--threads", type=int, default=0, help="INFERENCE_NUM_THREADS (0: OpenVINO's choice)")
    sub = ap.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fixtures", help="write parity fixtures")
    f.add_argument("--out", required=True)
    f.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    b = sub.add_parser("bench", help="time both networks, print one JSON line")
    b.add_argument("--runs", type=int, default=5, help="timed runs after 2 warm-ups (median and min)")
    b.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    core = ov.Core()
    {"fixtures": fixtures, "bench": bench}[args.command](core, args)


if __name__ == "__main__":
    main()
