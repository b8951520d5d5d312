#!/usr/bin/env python3
"""A straightforward NumPy baseline: evaluate EVERY profile of one market.

The GSM8K best-of-n market of the paper (9 providers x 6 levels, beta = 1000, alpha 0.008,
baseline 0.1, linear, margin 0.25, V0 = 0) has 6^9 = 10,077,696 profiles. For each profile
this computes the logit shares, the social welfare (Eq. 5) and the Nash check (no provider
has a level whose utility beats its own by more than tol * |U|, model.md section 3),
vectorised over chunks of profiles the way a researcher would write it, and prints the
wall time, the maximum welfare and the number of pure equilibria.

    python3 Benchmarks/numpy_baseline.py (--ttcg BIN | --csv PATH) [--beta 1000] [--chunk-providers 2]

The Swift side of the cross-check is `ttcg-bench-check` (see README.md); run.sh compares them.
"""

import argparse
import csv
import io
import os
import subprocess
import sys
import time

import numpy as np

ALPHA, BASELINE, MARGIN, V0, BETA, TOL = 0.008, 0.1, 0.25, 0.0, 1000.0, 1e-8
DATASET, METHOD = "gsm8k", "best-of-n"


def market_csv(args):
    """The market's profile table: --csv PATH, else exported from ttcg's built-in catalog
    (`ttcg profiles export gsm8k/best-of-n --format csv`) with --ttcg BIN or $TTCG_BIN."""
    if args.csv:
        if not os.path.exists(args.csv):
            sys.exit(f"numpy_baseline: --csv {args.csv}: no such file")
        return open(args.csv, newline="").read()
    ttcg = args.ttcg or os.environ.get("TTCG_BIN", "")
    if not ttcg:
        sys.exit("numpy_baseline: give --csv PATH (a profile table, e.g. from "
                 "`ttcg profiles export gsm8k/best-of-n --format csv`) or --ttcg BIN (or set TTCG_BIN)")
    proc = subprocess.run([ttcg, "profiles", "export", f"{DATASET}/{METHOD}", "--format", "csv"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"numpy_baseline: {ttcg} profiles export {DATASET}/{METHOD} failed: {proc.stderr.strip()}")
    return proc.stdout


def load_market(text, dataset=DATASET, method=METHOD):
    rows = {}
    for r in csv.DictReader(io.StringIO(text)):
        if r["dataset"] == dataset and r["method"] == method:
            rows.setdefault(r["model"], []).append(r)
    if not rows:
        sys.exit(f"numpy_baseline: no rows for {dataset}/{method} in the profile table")
    models = list(rows)
    acc, tok, price = [], [], []
    for m in models:
        rs = sorted(rows[m], key=lambda r: int(r["level_index"]))
        acc.append([float(r["accuracy"]) for r in rs])
        tok.append([float(r["tokens_per_query"]) for r in rs])
        price.append(float(rs[0]["price_per_mtok"]) / 1e6)
    acc, tok, price = np.array(acc), np.array(tok), np.array(price)[:, None]
    p = tok * price                         # price per query
    c = p / (1 + MARGIN)                    # generation cost
    q = ALPHA * (BASELINE + (1 - BASELINE) * acc)
    return models, q - p, q - c, p - c      # V, W, rho, each (N, K)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", help="a profile table (the catalog's CSV columns)")
    ap.add_argument("--ttcg", help="the ttcg binary, to export the market from its catalog (default $TTCG_BIN)")
    ap.add_argument("--beta", type=float, default=BETA, help="inverse temperature (default 1000)")
    ap.add_argument("--chunk-providers", type=int, default=2,
                    help="chunks are the profiles with the first P providers fixed (default 2: 36 chunks)")
    args = ap.parse_args()

    models, V, W, rho = load_market(market_csv(args))
    N, K = V.shape
    total = K ** N
    beta = args.beta
    x = beta * V                            # scaled values (N, K)
    x0 = beta * V0

    t0 = time.perf_counter()
    fixed = args.chunk_providers
    rest = N - fixed
    # Level of each free provider for every profile of a chunk, last provider fastest.
    rest_levels = np.stack(np.unravel_index(np.arange(K ** rest), (K,) * rest), axis=1)
    best_w, best_profile, n_eq = -np.inf, None, 0
    for head in range(K ** fixed):
        head_levels = np.array(np.unravel_index(head, (K,) * fixed))
        levels = np.concatenate([np.broadcast_to(head_levels, (len(rest_levels), fixed)), rest_levels], axis=1)
        cols = np.arange(N)
        xs = x[cols, levels]                                   # (M, N) scaled values played
        top = np.maximum(xs.max(axis=1), x0)                   # shift for stability
        e = np.exp(xs - top[:, None])                          # (M, N)
        e0 = np.exp(x0 - top)
        den = e0 + e.sum(axis=1)
        shares = e / den[:, None]
        welfare = (shares * W[cols, levels]).sum(axis=1) + (e0 / den) * V0
        i = int(welfare.argmax())
        if welfare[i] > best_w:
            best_w, best_profile = float(welfare[i]), levels[i].copy()

        # Nash check: for each provider, its utility at every level against the rivals' mass.
        nash = np.ones(len(levels), dtype=bool)
        for n in range(N):
            rivals = den - e[:, n]                             # e0 + sum_{j != n} e_j
            e_all = np.exp(x[n][None, :] - top[:, None])       # (M, K) own exponentials
            u_all = rho[n][None, :] * e_all / (rivals[:, None] + e_all)
            u_cur = u_all[np.arange(len(levels)), levels[:, n]]
            thr = np.where(u_cur != 0, TOL * np.abs(u_cur), 1e-9)
            nash &= ~(u_all > (u_cur + thr)[:, None]).any(axis=1)
        n_eq += int(nash.sum())
    elapsed = time.perf_counter() - t0

    print(f"numpy_baseline: {N}x{K} market gsm8k best-of-n, beta={beta:g}, {total:,} profiles, "
          f"{K ** fixed} chunks of {K ** rest:,}")
    print(f"numpy_seconds={elapsed:.3f}")
    print(f"max_welfare={best_w:.17g}")
    print(f"max_welfare_profile={','.join(map(str, best_profile))}")
    print(f"equilibria={n_eq}")


if __name__ == "__main__":
    main()
