#!/usr/bin/env python3
"""The seed's PyTorch formulation of the ring cell, timed over the same sweep as `rnnjit bench`.

    r_t = (1 - alpha) r_{t-1} + alpha phi(J0 sum(r) + J1 Wo r + sum_k A[b,t,k] Wa_k r)

Three ways to write the gated bank, each with autograd for the training step:
  sum     the seed's: a per-trial effective matrix torch.sum(A[:, t, :, None, None] * Wa, 1), then bmm
  matmul  torch.matmul(Wa, r) for every k, then the gate-weighted sum over k
  bgemm   the fair one: one GEMM of r against the stacked [Wo; Wa_1; ...; Wa_K], then the weighted sum

Emits JSON shaped like `rnnjit bench --json` (one record per point and mode, the variants' times
in ref_ms_<variant>), so the tables can be put side by side. Runs only where torch is importable:

    python3 bench/torch_reference.py --device cuda --json torch.json
    python3 bench/torch_reference.py --sweep neurons=128,256 --sweep batch=256 --mode train
"""
import argparse
import itertools
import json
import statistics
import sys
import time

try:
    import torch
except ImportError:  # the CI machine has no torch: say so and succeed
    print("torch_reference.py: torch is not installed; nothing to do", file=sys.stderr)
    sys.exit(0)

J0, J1, ALPHA = -0.1, 0.1, 0.15

DEFAULT_TABLES = (
    [("neurons", n, 256, 20, 3) for n in (128, 256, 384, 512, 640, 768, 896, 1024)]
    + [("steps", 256, 256, t, 3) for t in (4, 8, 16, 20, 32, 128, 256, 512, 1024, 2048)]
    + [("batch", 256, b, 20, 3) for b in (32, 128, 256, 512, 1024, 2048)]
    + [("gates", 256, 256, 20, k) for k in (2, 3, 4, 8, 32, 128, 256, 512, 1024)]
)


def step_sum(r, a_t, wo, wa):
    w_eff = J1 * wo + torch.sum(a_t[:, :, None, None] * wa[None], dim=1)  # [B,N,N] per trial
    rec = J0 * r.sum(1, keepdim=True) + torch.bmm(w_eff, r[:, :, None]).squeeze(-1)
    return (1 - ALPHA) * r + ALPHA * torch.nn.functional.gelu(rec)


def step_matmul(r, a_t, wo, wa):
    gated = torch.matmul(wa[None], r[:, None, :, None]).squeeze(-1)  # [B,K,N]
    rec = J0 * r.sum(1, keepdim=True) + J1 * r @ wo.T + (a_t[:, :, None] * gated).sum(1)
    return (1 - ALPHA) * r + ALPHA * torch.nn.functional.gelu(rec)


def make_step_bgemm(wo, wa):
    n = wo.shape[0]

    def step(r, a_t, wo_, wa_):
        bank = torch.cat([J1 * wo_, wa_.reshape(-1, n)], 0)  # [(K+1)N, N]
        y = (r @ bank.T).view(r.shape[0], -1, n)  # one GEMM, [B,K+1,N]
        coef = torch.cat([torch.ones_like(a_t[:, :1]), a_t], 1)
        rec = J0 * r.sum(1, keepdim=True) + (coef[:, :, None] * y).sum(1)
        return (1 - ALPHA) * r + ALPHA * torch.nn.functional.gelu(rec)

    return step


def run(step, r0, a, wo, wa, dr, train):
    r, outs = r0, []
    for t in range(a.shape[1]):
        r = step(r, a[:, t], wo, wa)
        outs.append(r)
    if train:
        (torch.stack(outs, 1) * dr).sum().backward()


def time_ms(fn, device, warmup, repeats):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def measure(point, mode, args):
    table, n, b, t, k = point
    dev = args.device
    g = torch.Generator(device="cpu").manual_seed(args.seed)
    wo = (torch.randn(n, n, generator=g) / n**0.5).to(dev).requires_grad_(mode == "train")
    wa = (torch.randn(k, n, n, generator=g) / n**0.5).to(dev).requires_grad_(mode == "train")
    r0 = torch.rand(b, n, generator=g).to(dev)
    a = (torch.rand(b, t, k, generator=g) / k).to(dev)  # gates in (0, 1/K), as rnnjit bench draws them
    dr = torch.randn(b, t, n, generator=g).to(dev)
    train = mode == "train"
    flops = 2.0 * b * t * n * n * (k + 1) * (3 if train else 1)
    rec = {"table": table, "mode": mode, "neurons": n, "batch": b, "steps": t, "gates": k, "bank": k + 1,
           "flops": flops}
    variants = {"sum": step_sum, "matmul": step_matmul, "bgemm": make_step_bgemm(wo, wa)}
    for name in args.variants.split(","):
        step = variants[name]

        def once():
            with torch.set_grad_enabled(train):
                run(step, r0, a, wo, wa, dr, train)
            wo.grad = wa.grad = None

        try:
            ms = time_ms(once, dev, args.warmup, args.repeats)
            rec[f"ref_ms_{name}"] = ms
            rec[f"gflops_{name}"] = flops / (ms * 1e-3) * 1e-9
        except torch.cuda.OutOfMemoryError:  # the sum variant materialises [B,K,N,N]
            rec[f"ref_ms_{name}"] = None
            torch.cuda.empty_cache()
    print(json.dumps(rec), flush=True)
    return rec


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--sweep", action="append", default=[], help="neurons=|batch=|steps=|gates= list")
    p.add_argument("--mode", default="both", choices=["forward", "train", "both"])
    p.add_argument("--variants", default="sum,matmul,bgemm")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json")
    args = p.parse_args()

    if args.sweep:
        lists = {"neurons": [256], "batch": [256], "steps": [20], "gates": [3]}
        for s in args.sweep:
            key, _, values = s.partition("=")
            if key not in lists:
                p.error(f"--sweep {s}: expected neurons=, batch=, steps= or gates=")
            lists[key] = [int(v) for v in values.split(",")]
        points = [("sweep", n, b, t, k) for n, b, t, k in
                  itertools.product(lists["neurons"], lists["batch"], lists["steps"], lists["gates"])]
    else:
        points = DEFAULT_TABLES
    modes = ["forward", "train"] if args.mode == "both" else [args.mode]
    records = [measure(pt, m, args) for m in modes for pt in points]
    doc = {"tool": "bench/torch_reference.py", "backend": args.device, "torch": torch.__version__,
           "device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "repeats": args.repeats,
           "warmup": args.warmup, "points": records}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)


if __name__ == "__main__":
    main()
