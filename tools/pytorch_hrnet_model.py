"""HRNet in PyTorch, as heatmark builds it (hrnet/hrnet.h): the official HRNet
pose code and timm's HighResolutionNet (module names, fusion order, nearest
upsampling of lower-resolution branches, strided 3x3 chains from higher ones,
ReLU after the sum, BatchNorm momentum 0.1), with heatmark's head names.

Built from heatmark's JSON model config (hrnet/config.h). Used by
tools/make_hrnet_golden.py (the golden test file) and bench/pytorch_train_step.py
(the PyTorch side of the benchmarks). Needs only Debian's python3-torch.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


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
