#!/usr/bin/python3
"""The PyTorch side of `heatmark bench train`: the same HRNet, input, batch,
landmarks and thread count, timed the same way (median of --steps after
--warmup), on the CPU or (--device cuda) the GPU.

    heatmark bench train --model hrnet_w32 --input-size 256 --batch 1 --json hm.json
    bench/pytorch_train_step.py --like hm.json --threads 2 --json torch.json

The model is built from heatmark's own model config (the "model_config" of
its JSON), so both sides run exactly the same architecture; both print their
parameter counts. A training step is forward, Gaussian targets, soft-argmax,
loss (1.0 * heatmap MSE + 0.5 * coordinate L1), backward and Adam; a forward
pass is eval mode under no_grad. Needs Debian's python3-torch.

PyTorch runs in its best fair configuration on the CPU, set before torch is
imported (the libraries read these at load time): OMP_NUM_THREADS equal to
the thread count, OPENBLAS_NUM_THREADS=1 (Debian's torch sends small batch-1
convolutions to OpenBLAS, whose own threads would otherwise oversubscribe the
cores on top of torch's), and oneDNN (mkldnn) enabled. When OpenBLAS does not
recognise the CPU and falls back to its generic kernels, the script gives it
the same kernel set heatmark selects (OPENBLAS_CORETYPE). It prints the
configuration it ran with and checks OpenBLAS's thread count from the loaded
library itself.

Peak memory is reported twice: the peak RSS of the process, and the same net
of what the process held after `import torch`, before the model existed.
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import sys
import time


def current_rss_mib():
    """The resident set now (the second field of /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def loaded_openblas():
    """ctypes handle of the OpenBLAS this process loaded, or None."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "openblas" in line.split()[-1]}
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_num_threads  # noqa: B018 (raises AttributeError when absent)
            return path, lib
        except (OSError, AttributeError):
            continue
    return None, None


def configure_environment(threads):
    """The fair configuration, before torch loads: see the module docstring."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"


def gaussian_targets(coords, h, w, sigma):
    """coords (B, K, 2) in heatmap pixels -> (B, K, H, W), pixel centres at +0.5."""
    ys = torch.arange(h, dtype=torch.float32, device=coords.device).view(1, 1, h, 1) + 0.5
    xs = torch.arange(w, dtype=torch.float32, device=coords.device).view(1, 1, 1, w) + 0.5
    dx = xs - coords[..., 0, None, None]
    dy = ys - coords[..., 1, None, None]
    return torch.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))


def soft_argmax(heatmaps, beta):
    """(B, K, H, W) -> normalised (x, y) in [0, 1]."""
    b, k, h, w = heatmaps.shape
    p = F.softmax(beta * heatmaps.view(b, k, h * w), dim=-1).view(b, k, h, w)
    xs = (torch.arange(w, dtype=torch.float32, device=heatmaps.device) + 0.5) / w
    ys = (torch.arange(h, dtype=torch.float32, device=heatmaps.device) + 0.5) / h
    return torch.stack(((p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)), dim=-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--like", required=True, help="heatmark bench train --json output to mirror")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: heatmark's)")
    parser.add_argument("--steps", type=int, default=0, help="timed steps (default: heatmark's)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (eager fp32; TF32 as PyTorch's defaults)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    like = json.load(open(args.like))
    threads = args.threads or like["threads"]
    steps = args.steps or like["steps"]
    configure_environment(threads)
    if "OPENBLAS_CORETYPE" not in os.environ:
        # The kernels of this CPU's vector units; applied below only if
        # OpenBLAS picks its generic ones on its own (it does on CPU models it
        # does not know, as in many virtual machines).
        flags = open("/proc/cpuinfo").read().split()
        pending_coretype = "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None
    else:
        pending_coretype = None

    global torch, F, HRNet
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    from pytorch_hrnet_model import HRNet

    blas_path, blas = loaded_openblas()
    if blas is not None and pending_coretype:
        blas.openblas_get_corename.restype = ctypes.c_char_p
        core = blas.openblas_get_corename().decode()
        if core.lower() in ("prescott", "core2", "nehalem", "unknown") and core != pending_coretype:
            # Too late to re-select in this process: run again with the kernels set.
            os.environ["OPENBLAS_CORETYPE"] = pending_coretype
            os.execv(sys.executable, [sys.executable] + sys.argv)
    rss_after_import = current_rss_mib()
    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = True
    torch.manual_seed(7)
    cfg = like["model_config"]
    if cfg.get("head", "simple") not in ("simple", "concat"):
        sys.exit("the PyTorch model has the simple and concat heads only, not %s" % cfg["head"])
    device = torch.device(args.device)
    model = HRNet(cfg, cfg.get("head", "simple")).to(device)
    parameters = sum(p.numel() for p in model.parameters())
    batch, k = like["batch"], like["landmarks"]
    # Files from before non-square inputs have only input_size, a number.
    width = like.get("input_width", like["input_size"])
    height = like.get("input_height", like["input_size"])
    images = torch.randn(batch, cfg["in_channels"], height, width, device=device)
    side = min(width, height)
    landmarks = torch.rand(batch, k, 2, device=device) * 0.8 * side + 0.1 * side
    input_scale = torch.tensor([float(width), float(height)], device=device)
    on_gpu = device.type == "cuda"

    def synchronize():
        if on_gpu:
            torch.cuda.synchronize()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    forward_only = like["mode"] == "forward"

    def step():
        if forward_only:
            with torch.no_grad():
                model(images)
            return
        heatmaps = model(images)
        h, w = heatmaps.shape[2:]
        targets = gaussian_targets(landmarks * (w / width), h, w, 3.0)  # the heatmap stride is the same on both axes
        coords = soft_argmax(heatmaps, 20.0)
        loss = F.mse_loss(heatmaps, targets) + 0.5 * F.l1_loss(coords, landmarks / input_scale)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    if forward_only:
        model.eval()
    else:
        model.train()
    for _ in range(args.warmup):
        step()
    synchronize()
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        synchronize()
        times.append(1000 * (time.perf_counter() - start))
    device_peak = torch.cuda.max_memory_allocated() / 2**20 if on_gpu else 0
    ms = statistics.median(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    what = "forward pass" if forward_only else "training step"
    blas_threads = blas.openblas_get_num_threads() if blas is not None else None
    if blas is not None:
        blas.openblas_get_corename.restype = ctypes.c_char_p
        blas_core = blas.openblas_get_corename().decode()
    else:
        blas_core = None
    config = {
        "torch_threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "openblas": blas_path, "openblas_threads": blas_threads, "openblas_kernels": blas_core,
        "onednn_available": torch.backends.mkldnn.is_available(),
        "onednn_enabled": torch.backends.mkldnn.enabled,
    }
    print("PyTorch %s: %s (%d parameters), input %dx%d, batch %d, %d landmarks, %d threads"
          % (torch.__version__, like["model"], parameters, width, height, batch, k, threads))
    print("%s: %.2f ms median of %d (min %.2f), %.2f images/s" % (what, ms, steps, min(times), 1000 * batch / ms))
    if not on_gpu:
        print("configuration: torch %d threads (interop %d), OMP_NUM_THREADS=%s, OpenBLAS %s thread(s) with %s kernels"
              " (OPENBLAS_NUM_THREADS=%s%s), oneDNN %s"
              % (config["torch_threads"], config["interop_threads"], config["OMP_NUM_THREADS"], blas_threads, blas_core,
                 config["OPENBLAS_NUM_THREADS"],
                 ", OPENBLAS_CORETYPE=%s" % config["OPENBLAS_CORETYPE"] if config["OPENBLAS_CORETYPE"] else "",
                 "on" if config["onednn_available"] and config["onednn_enabled"] else "OFF"))
    print("peak host RSS %.0f MiB (%.0f MiB net of the %.0f MiB held after import torch, before the model existed)"
          % (rss, rss - rss_after_import, rss_after_import))
    if on_gpu:
        print("device: %s; peak device memory %.0f MiB (allocated); TF32 for convolutions: %s"
              % (torch.cuda.get_device_name(), device_peak, torch.backends.cudnn.allow_tf32))
    if parameters != like["parameters"]:
        sys.exit("parameter counts differ: heatmark %d, PyTorch %d" % (like["parameters"], parameters))
    if not on_gpu and blas_threads not in (None, 1):
        sys.exit("OpenBLAS runs %d threads: the comparison would oversubscribe the cores" % blas_threads)
    if not on_gpu and not (config["onednn_available"] and config["onednn_enabled"]):
        sys.exit("oneDNN is not available or not enabled: PyTorch would not run its fast CPU path")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"framework": "pytorch", "version": torch.__version__, "parameters": parameters,
                       "ms_per_step": ms, "ms_all": times, "images_per_s": 1000 * batch / ms, "peak_rss_mib": rss,
                       "rss_after_import_mib": rss_after_import, "configuration": config,
                       "threads": threads, "device": args.device, "peak_device_mib": device_peak}, f, indent=2)


if __name__ == "__main__":
    main()
