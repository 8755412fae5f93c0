#include "infer/detector.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "infer/refine.h"

#include "autograd/grad_mode.h"
#include "cuda/info.h"
#include "hrnet/model_file.h"
#include "data/preprocess.h"

namespace heatmark {

Detector::Detector(const std::string& model_path, Device device, Decoder decoder, int stages)
    : model_(load_model(model_path)), device_(cuda::usable_device(device)), decoder_(decoder) {
  HM_CHECK(stages == 1 || stages == 2, "--stages must be 1 or 2, got {}", stages);
  model_->to(device_);
  model_->eval();
  if (stages == 2) refiner_ = load_refiner(model_path, scale_);
  if (refiner_) {
    refiner_->to(device_);
    refiner_->eval();
  }
}

Detector::~Detector() = default;

const HRNetConfig& Detector::config() const { return model_->config(); }

ImageLoad Detector::image_load() const {
  const InputSpec input = model_->config().input_spec();
  if (!refiner_) return image_load_for(input);
  // The finer of both needs; the refiner takes gray, stage 1 perhaps RGB.
  ImageLoad load = refiner_image_load(input, std::max(1.0, scale_));
  load.gray = input.channels == 1;
  return load;
}

std::vector<Landmark> Detector::predict(const Image& image) { return predict(std::vector<Image>{image}).front(); }

std::vector<std::vector<Landmark>> Detector::predict(const std::vector<Image>& images) {
  const HRNetConfig& c = model_->config();
  const InputSpec input = c.input_spec();
  const int64_t B = static_cast<int64_t>(images.size()), IW = c.input_size.width, IH = c.input_size.height;
  if (B == 0) return {};
  const auto start = std::chrono::steady_clock::now();
  // Exactly the training pipeline without augmentation (data/preprocess.h).
  Tensor batch = Tensor::empty({B, c.in_channels, IH, IW});
  std::vector<Affine> to_input;
  for (int64_t b = 0; b < B; ++b)
    to_input.push_back(prepare_input(cache_image(images[b], input), input, AugmentDraw{}, false,
                                     batch.data() + b * c.in_channels * IH * IW));
  Tensor heatmaps;
  {
    NoGrad no_grad;
    heatmaps = model_->forward(batch.to(device_)).to(Device::cpu());
  }
  const int64_t K = heatmaps.size(1), H = heatmaps.size(2), W = heatmaps.size(3);
  const double to_input_px = static_cast<double>(IW) / static_cast<double>(W);  // the same on both axes
  std::vector<std::vector<Landmark>> out(B);
  for (int64_t b = 0; b < B; ++b) {
    const Affine back = to_input[b].inverse();
    for (int64_t k = 0; k < K; ++k) {
      const Decoded d = decode_heatmap(heatmaps.data() + (b * K + k) * H * W, H, W, decoder_, c.soft_argmax_beta,
                                       c.target_sigma);
      const Point p = back.apply({d.point.x * to_input_px, d.point.y * to_input_px});
      out[b].push_back({k < static_cast<int64_t>(c.landmark_names.size()) ? c.landmark_names[k] : std::to_string(k + 1),
                        p.x, p.y, d.confidence});
    }
  }
  const auto coarse_done = std::chrono::steady_clock::now();
  timing_.stage1_seconds += std::chrono::duration<double>(coarse_done - start).count();
  timing_.images += B;
  if (!refiner_) return out;

  // Stage 2: every landmark of every image in one batch of patches.
  std::vector<CachedImage> caches(B);
  std::vector<RefineInput> inputs(B);
  for (int64_t b = 0; b < B; ++b) {
    caches[b] = cache_for_refiner(images[b], to_input[b], scale_);
    inputs[b].image = &caches[b];
    inputs[b].to_input = to_input[b];
    for (const Landmark& l : out[b]) inputs[b].coarse.push_back({l.x, l.y});
  }
  const std::vector<std::vector<Decoded>> refined = refine_landmarks(*refiner_, scale_, inputs, device_, decoder_);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      out[b][k].x = refined[b][k].point.x;
      out[b][k].y = refined[b][k].point.y;
      out[b][k].confidence = refined[b][k].confidence;
    }
  timing_.refine_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - coarse_done).count();
  return out;
}

}  // namespace heatmark
