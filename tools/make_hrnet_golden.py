#!/usr/bin/python3
"""Writes tests/golden/hrnet_tiny.safetensors: PyTorch's forward and backward
of a tiny HRNet with fixed weights, the ground truth for tests/hrnet/test_golden.cpp.

The model is tools/pytorch_hrnet_model.py. It needs only Debian's python3-torch:

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

from pytorch_hrnet_model import HRNet

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
