// The building blocks of HRNet, named like the official and timm modules so
// that state-dict names carry over unchanged ("layer1.0.conv1.weight",
// "stage2.0.branches.1.3.bn2.running_var", "transition1.1.0.0.weight").
#pragma once

#include <memory>
#include <vector>

#include "layers/batch_norm2d.h"
#include "layers/conv2d.h"
#include "layers/module.h"

namespace heatmark {

// An indexed list of child modules named "0", "1", ...; a slot may be empty
// (PyTorch's nn.Identity), keeping the numbering of the modules after it.
class ModuleList : public Module {
 public:
  template <typename M>
  M* add(std::unique_ptr<M> module) {
    M* raw = module.get();
    if (raw) register_module(std::to_string(items_.size()), raw);
    items_.push_back(std::move(module));
    return raw;
  }
  size_t size() const { return items_.size(); }
  template <typename M>
  M* at(size_t i) const {
    return static_cast<M*>(items_.at(i).get());
  }

 private:
  std::vector<std::unique_ptr<Module>> items_;
};

// A module that only groups named children owned elsewhere ("head.final").
class ModuleGroup : public Module {
 public:
  void add(const std::string& name, Module* child) { register_module(name, child); }
};

// conv -> batch norm [-> ReLU], as nn.Sequential(conv, bn[, relu]): "0.weight", "1.running_mean".
class ConvBn : public Module {
 public:
  ConvBn(int64_t in, int64_t out, int64_t kernel, int stride, bool relu, Generator& gen);
  Tensor forward(const Tensor& x);

  Conv2d conv;
  BatchNorm2d bn;
  bool relu;
};

// Two 3x3 convolutions with a residual connection (expansion 1).
class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in, int64_t planes, Generator& gen);
  Tensor forward(const Tensor& x);

  Conv2d conv1, conv2;
  BatchNorm2d bn1, bn2;
  std::unique_ptr<ConvBn> downsample;  // 1x1 conv + BN when the channels change
};

// 1x1 -> 3x3 -> 1x1 convolutions to 4 x planes channels, with a residual connection.
class Bottleneck : public Module {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in, int64_t planes, Generator& gen);
  Tensor forward(const Tensor& x);

  Conv2d conv1, conv2, conv3;
  BatchNorm2d bn1, bn2, bn3;
  std::unique_ptr<ConvBn> downsample;
};

// One high-resolution module: a chain of BasicBlocks per branch, then the
// fusion of every branch into every output branch:
//   from a lower resolution j > i:  1x1 conv + BN, then nearest upsampling by 2^(j-i);
//   from a higher resolution j < i: (i-j) 3x3 stride-2 convs + BN, with ReLU between;
//   the contributions are summed, then ReLU.
// With multi_scale_output false only branch 0 is fused and returned.
class HighResolutionModule : public Module {
 public:
  HighResolutionModule(const std::vector<int64_t>& widths, int blocks, bool multi_scale_output, Generator& gen);
  std::vector<Tensor> forward(std::vector<Tensor> xs);

 private:
  std::vector<int64_t> widths_;
  ModuleList branches_;     // branches.i.k: BasicBlock k of branch i
  ModuleList fuse_layers_;  // fuse_layers.i.j: the path from branch j to output branch i
};

}  // namespace heatmark
