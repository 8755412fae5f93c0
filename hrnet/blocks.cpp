#include "hrnet/blocks.h"

#include "autograd/ops.h"

namespace heatmark {

ConvBn::ConvBn(int64_t in, int64_t out, int64_t kernel, int stride, bool relu_after, Generator& gen)
    : conv({in, out, kernel, stride, -1, false}, gen), bn(out), relu(relu_after) {
  register_module("0", &conv);
  register_module("1", &bn);
}

Tensor ConvBn::forward(const Tensor& x) {
  Tensor y = bn.forward(conv.forward(x));
  return relu ? heatmark::relu(y) : y;
}

BasicBlock::BasicBlock(int64_t in, int64_t planes, Generator& gen)
    : conv1({in, planes, 3, 1, -1, false}, gen),
      conv2({planes, planes, 3, 1, -1, false}, gen),
      bn1(planes),
      bn2(planes) {
  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  register_module("conv2", &conv2);
  register_module("bn2", &bn2);
  if (in != planes) {
    downsample = std::make_unique<ConvBn>(in, planes, 1, 1, false, gen);
    register_module("downsample", downsample.get());
  }
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor y = relu(bn1.forward(conv1.forward(x)));
  y = bn2.forward(conv2.forward(y));
  return relu(add(y, downsample ? downsample->forward(x) : x));
}

Bottleneck::Bottleneck(int64_t in, int64_t planes, Generator& gen)
    : conv1({in, planes, 1, 1, -1, false}, gen),
      conv2({planes, planes, 3, 1, -1, false}, gen),
      conv3({planes, planes * kExpansion, 1, 1, -1, false}, gen),
      bn1(planes),
      bn2(planes),
      bn3(planes * kExpansion) {
  register_module("conv1", &conv1);
  register_module("bn1", &bn1);
  register_module("conv2", &conv2);
  register_module("bn2", &bn2);
  register_module("conv3", &conv3);
  register_module("bn3", &bn3);
  if (in != planes * kExpansion) {
    downsample = std::make_unique<ConvBn>(in, planes * kExpansion, 1, 1, false, gen);
    register_module("downsample", downsample.get());
  }
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor y = relu(bn1.forward(conv1.forward(x)));
  y = relu(bn2.forward(conv2.forward(y)));
  y = bn3.forward(conv3.forward(y));
  return relu(add(y, downsample ? downsample->forward(x) : x));
}

HighResolutionModule::HighResolutionModule(const std::vector<int64_t>& widths, int blocks, bool multi_scale_output,
                                           Generator& gen)
    : widths_(widths) {
  const size_t n = widths.size();
  for (size_t i = 0; i < n; ++i) {
    auto branch = std::make_unique<ModuleList>();
    for (int k = 0; k < blocks; ++k) branch->add(std::make_unique<BasicBlock>(widths[i], widths[i], gen));
    branches_.add(std::move(branch));
  }
  register_module("branches", &branches_);
  if (n == 1) return;  // a single branch needs no fusion
  for (size_t i = 0; i < (multi_scale_output ? n : 1); ++i) {
    auto inputs = std::make_unique<ModuleList>();
    for (size_t j = 0; j < n; ++j) {
      if (j > i) {
        inputs->add(std::make_unique<ConvBn>(widths[j], widths[i], 1, 1, false, gen));
      } else if (j == i) {
        inputs->add(std::unique_ptr<Module>());  // identity
      } else {
        auto chain = std::make_unique<ModuleList>();
        for (size_t k = 0; k < i - j; ++k) {
          const bool last = k == i - j - 1;
          chain->add(std::make_unique<ConvBn>(widths[j], last ? widths[i] : widths[j], 3, 2, !last, gen));
        }
        inputs->add(std::move(chain));
      }
    }
    fuse_layers_.add(std::move(inputs));
  }
  register_module("fuse_layers", &fuse_layers_);
}

std::vector<Tensor> HighResolutionModule::forward(std::vector<Tensor> xs) {
  const size_t n = widths_.size();
  for (size_t i = 0; i < n; ++i) {
    const ModuleList* branch = branches_.at<ModuleList>(i);
    for (size_t k = 0; k < branch->size(); ++k) xs[i] = branch->at<BasicBlock>(k)->forward(xs[i]);
  }
  if (n == 1) return xs;
  std::vector<Tensor> out;
  for (size_t i = 0; i < fuse_layers_.size(); ++i) {
    const ModuleList* inputs = fuse_layers_.at<ModuleList>(i);
    Tensor sum;
    for (size_t j = 0; j < n; ++j) {
      Tensor y;
      if (j > i) {
        y = upsample_nearest(inputs->at<ConvBn>(j)->forward(xs[j]), 1 << (j - i));
      } else if (j == i) {
        y = xs[j];
      } else {
        y = xs[j];
        const ModuleList* chain = inputs->at<ModuleList>(j);
        for (size_t k = 0; k < chain->size(); ++k) y = chain->at<ConvBn>(k)->forward(y);
      }
      sum = sum.defined() ? add(sum, y) : y;
    }
    out.push_back(relu(sum));
  }
  return out;
}

}  // namespace heatmark
