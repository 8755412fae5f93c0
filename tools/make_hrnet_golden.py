#!/usr/bin/python3
"""Writes tests/golden/hrnet_tiny.safetensors: PyTorch's forward and backward
of a tiny HRNet with fixed weights, the ground truth for tests/test_golden.cpp.

The model below follows the official HRNet pose code and timm's
HighResolutionNet (module names, fusion order, nearest upsampling of
lower-resolution branches, strided 3x3 chains from higher ones, ReLU after
the sum, BatchNorm momentum 0.1), with heatmark's head names. It needs only
Debian's python3-torch:

    apt-get install python3-torch
    tools/make_hrnet_golden.py            # rewrites the golden file

Two models are recorded, each in training mode (batch statistics):
  simple  the official pose head on branch 0
  concat  all branches bilinearly upsampled (align_corners=False), concatenated,
          1x1 conv + BN + ReLU, 1x1 conv to K
For each: the config (heatmark's JSON), every parameter and buffer before the
step, the heatmaps, some running statistics after the step, and the gradients
of L = sum(heatmaps * R) for a fixed R with respect to the input and to the
parameters in GRADIENTS, one from each kind of layer: stem, bottleneck and its
downsample, transition, basic block, the upsampling and the strided fusion
paths, batch norm, and the head. The input is shared.
"""
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2026)
torch.set_num_threads(1)

CONFIG = {
    "name": "hrnet_tiny", "in_channels": 1, "stem_width": 8, "stage1_blocks": 1, "stage1_planes": 4,
    "stages": [{"modules": 1, "blocks": 1, "widths": [4, 8]},
               {"modules": 1, "blocks": 1, "widths": [4, 8, 16]},
               {"modules": 1, "blocks": 1, "widths": [4, 8, 16, 32]}],
    "num_landmarks": 2, "deconv_channels": 8, "landmark_names": [], "input_size": 64,
    "input_mean": [0.5], "input_std": [0.25],
}


GRADIENTS = [
    "conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv2.weight", "layer1.0.downsample.0.weight",
    "transition1.1.0.0.weight", "transition3.3.0.1.weight", "stage2.0.branches.1.0.conv1.weight",
    "stage3.0.fuse_layers.0.2.0.weight", "stage3.0.fuse_layers.2.0.0.0.weight", "stage3.0.fuse_layers.2.0.1.1.bias",
    "stage4.0.fuse_layers.0.3.1.weight", "stage4.0.branches.0.0.bn2.weight", "head.final.weight", "head.final.bias",
]
RUNNING = ["bn1", "layer1.0.bn3", "stage4.0.branches.3.0.bn2"]


def conv_bn(i, o, k, s, relu):
    layers = [nn.Conv2d(i, o, k, s, k // 2, bias=False), nn.BatchNorm2d(o, momentum=0.1)]
    return nn.Sequential(*(layers + [nn.ReLU()] if relu else layers))


class BasicBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class Bottleneck(nn.Module):
    def __init__(self, i, planes):
        super().__init__()
        o = planes * 4
        self.conv1, self.bn1 = nn.Conv2d(i, planes, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv3, self.bn3 = nn.Conv2d(planes, o, 1, bias=False), nn.BatchNorm2d(o)
        self.downsample = conv_bn(i, o, 1, 1, False) if i != o else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class HighResolutionModule(nn.Module):
    def __init__(self, widths, blocks, multi_scale_output):
        super().__init__()
        n = len(widths)
        self.branches = nn.ModuleList(nn.Sequential(*[BasicBlock(w) for _ in range(blocks)]) for w in widths)
        fuse = []
        for i in range(n if multi_scale_output else 1):
            row = []
            for j in range(n):
                if j > i:
                    row.append(nn.Sequential(nn.Conv2d(widths[j], widths[i], 1, bias=False), nn.BatchNorm2d(widths[i]),
                                             nn.Upsample(scale_factor=2 ** (j - i), mode="nearest")))
                elif j == i:
                    row.append(nn.Identity())
                else:
                    row.append(nn.Sequential(*[conv_bn(widths[j], widths[i] if k == i - j - 1 else widths[j], 3, 2,
                                                       k != i - j - 1) for k in range(i - j)]))
            fuse.append(nn.ModuleList(row))
        self.fuse_layers = nn.ModuleList(fuse)

    def forward(self, xs):
        xs = [b(x) for b, x in zip(self.branches, xs)]
        out = []
        for row in self.fuse_layers:
            y = None
            for j, f in enumerate(row):
                y = f(xs[j]) if y is None else y + f(xs[j])
            out.append(F.relu(y))
        return out


class HRNet(nn.Module):
    def __init__(self, cfg, head):
        super().__init__()
        self.head_kind = head
        self.conv1, self.bn1 = nn.Conv2d(cfg["in_channels"], cfg["stem_width"], 3, 2, 1, bias=False), nn.BatchNorm2d(cfg["stem_width"])
        self.conv2, self.bn2 = nn.Conv2d(cfg["stem_width"], 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64)
        blocks, channels = [], 64
        for _ in range(cfg["stage1_blocks"]):
            blocks.append(Bottleneck(channels, cfg["stage1_planes"]))
            channels = cfg["stage1_planes"] * 4
        self.layer1 = nn.Sequential(*blocks)
        previous = [channels]
        for s, stage in enumerate(cfg["stages"]):
            widths = stage["widths"]
            transition = []
            for i, w in enumerate(widths):
                if i < len(previous):
                    transition.append(nn.Identity() if previous[i] == w else conv_bn(previous[i], w, 3, 1, True))
                else:
                    transition.append(nn.Sequential(conv_bn(previous[-1], w, 3, 2, True)))
            setattr(self, "transition%d" % (s + 1), nn.ModuleList(transition))
            modules = [HighResolutionModule(widths, stage["blocks"], not (s == 2 and m == stage["modules"] - 1) or head != "simple")
                       for m in range(stage["modules"])]
            setattr(self, "stage%d" % (s + 2), nn.ModuleList(modules))
            previous = widths
        self.head = nn.Module()
        k, head_in = cfg["num_landmarks"], previous[0]
        if head == "concat":
            head_in = sum(previous)
            self.head.fuse = conv_bn(head_in, head_in, 1, 1, True)
        self.head.final = nn.Conv2d(head_in, k, 1, bias=True)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        xs = [self.layer1(x)]
        for s in range(3):
            transition = getattr(self, "transition%d" % (s + 1))
            xs = [(t(xs[i]) if i < len(xs) else t(xs[-1])) for i, t in enumerate(transition)]
            for m in getattr(self, "stage%d" % (s + 2)):
                xs = m(xs)
        if self.head_kind == "concat":
            h, w = xs[0].shape[2:]
            xs = [xs[0]] + [F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False) for x in xs[1:]]
            return self.head.final(self.head.fuse(torch.cat(xs, 1)))
        return self.head.final(xs[0])


def randomise(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bn.weight") or (".bn" in name and name.endswith("weight")) or (p.dim() == 1 and "weight" in name):
                p.uniform_(0.5, 1.5)
            elif p.dim() == 1:
                p.uniform_(-0.2, 0.2)
            else:
                p.normal_(0.0, (2.0 / (p.shape[1] * p.shape[2] * p.shape[3])) ** 0.5)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.uniform_(-0.1, 0.1)
            elif name.endswith("running_var"):
                b.uniform_(0.5, 1.5)


def main():
    tensors, metadata = {}, {"format": "heatmark.golden", "torch.version": torch.__version__}
    x0 = torch.rand(2, 1, 64, 96) * 2 - 1
    for head in ("simple", "concat"):
        cfg = dict(CONFIG, head=head)
        model = HRNet(cfg, head)
        randomise(model)
        metadata[head + ".config"] = json.dumps(cfg)
        state = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        for k, v in state.items():
            tensors["%s.weights.%s" % (head, k)] = v
        model.train()
        x = x0.clone().requires_grad_(True)
        y = model(x)
        r = torch.rand_like(y) * 2 - 1
        (y * r).sum().backward()
        tensors["input"] = x0
        tensors[head + ".output"] = y.detach()
        tensors[head + ".seed"] = r
        tensors[head + ".grad.input"] = x.grad
        parameters = dict(model.named_parameters())
        for k in GRADIENTS + (["head.fuse.0.weight", "head.fuse.1.bias"] if head == "concat" else []):
            tensors["%s.grad.%s" % (head, k)] = parameters[k].grad
        for k in RUNNING:
            for stat in ("running_mean", "running_var"):
                tensors["%s.after.%s.%s" % (head, k, stat)] = model.state_dict()["%s.%s" % (k, stat)].clone()
    write_safetensors(os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "hrnet_tiny.safetensors"),
                      tensors, metadata)


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print("wrote %s: %d tensors, %d bytes" % (path, len(tensors), 8 + len(text) + offset))


if __name__ == "__main__":
    main()
