#!/usr/bin/env python3
"""Summarises `eval-edits --prior-report`'s DIR/prior_steps.jsonl: the W prior's Mahalanobis
distance (farthest edited row) of every code the guarded loop judged, by truncation, by what the
loop made of it (accepted on the way, the edit's result, or the guard it failed) and by whether
it lies near the mapped latents (< 100: field and linear steps) or far (the style-channel steps,
whose least-norm W+ solves leave W's distribution by design). Standard library only.

    python3 scripts/prior_distances.py DIR/prior_steps.jsonl
"""
import json
import sys
from collections import defaultdict

NEAR = 100.0


def main(path):
    groups = defaultdict(list)
    for line in open(path):
        r = json.loads(line)
        d = r["prior_distance"]
        if d is None:
            continue
        failed = r["failed"]
        if failed:
            kind = failed["guard"] if isinstance(failed, dict) else failed
        else:
            kind = "result" if r["result"] else "accepted"
        groups[(r["psi"], "near" if d < NEAR else "far", kind)].append(d)
    print("| psi | band | judged code | n | median | p10 | p90 | max |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for key in sorted(groups):
        v = sorted(groups[key])
        n = len(v)
        print("| %s | %s | %s | %d | %.1f | %.1f | %.1f | %.1f |"
              % (key[0], key[1], key[2], n, v[n // 2], v[n // 10], v[9 * n // 10], v[-1]))


if __name__ == "__main__":
    main(sys.argv[1])
