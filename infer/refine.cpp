#include "infer/refine.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "base/error.h"

namespace heatmark {

Affine patch_to_original(const Affine& to_input, Point centre, double scale, int64_t size, const Affine& jitter) {
  // Patch pixels -> jitter -> about the patch centre -> input pixels (1 / scale
  // each), centred on the estimate's input position -> original pixels.
  const double half = static_cast<double>(size) / 2;
  const Point at = to_input.apply(centre);
  return jitter.then(Affine::translate(-half, -half))
      .then(Affine::scale(1 / scale, 1 / scale))
      .then(Affine::translate(at.x, at.y))
      .then(to_input.inverse());
}

CachedImage cache_for_refiner(const Image& image, const Affine& to_input, double scale) {
  // Original pixels per patch pixel along the finer axis of the map.
  const double per_patch_pixel = 1.0 / (scale * std::max(std::hypot(to_input.a, to_input.d),
                                                         std::hypot(to_input.b, to_input.e)));
  CachedImage c;
  c.original_width = image.original_width();
  c.original_height = image.original_height();
  const int64_t needed = std::max<int64_t>(1, static_cast<int64_t>(std::floor(per_patch_pixel + 1e-9)));
  const int64_t more = std::max<int64_t>(1, needed / image.scale);  // what the decoder left to do
  Image gray = to_gray(image);
  c.image = more > 1 ? box_downsample(gray, more) : std::move(gray);
  c.factor = c.image.scale;
  return c;
}

ImageLoad refiner_image_load(const InputSpec& stage1, double scale) {
  // cache_for_refiner's factor, 1 / (scale * the letterbox or stretch scale),
  // is the stage-1 rule on a view `scale` times the input's size.
  ImageLoad load = image_load_for(stage1);
  load.gray = true;
  load.view_width *= scale;
  load.view_height *= scale;
  return load;
}

std::vector<std::vector<Decoded>> refine_landmarks(HRNet& refiner, double scale, const std::vector<RefineInput>& inputs,
                                                   Device device, Decoder decoder, int64_t batch) {
  const HRNetConfig& c = refiner.config();
  HM_CHECK(c.in_channels == 1 && c.input_size.square(), "refiner: expected a gray square input, got {} channels at {}",
           c.in_channels, c.input_size.str());
  const int64_t P = c.input_size.width, K = c.num_landmarks, B = static_cast<int64_t>(inputs.size());
  std::vector<std::vector<Decoded>> out(B);
  if (B == 0) return out;
  for (const RefineInput& in : inputs)
    HM_CHECK(static_cast<int64_t>(in.coarse.size()) == K, "refiner: {} coarse estimates for a {}-landmark refiner",
             in.coarse.size(), K);

  // Every cached image, normalised, in one (B, 1, Hmax, Wmax) tensor; outside
  // an image reads the normalised black, as training's crops do.
  const float mean = c.input_mean[0], inv_std = 1.0f / c.input_std[0], black = -mean * inv_std;
  int64_t H = 1, W = 1;
  for (const RefineInput& in : inputs) {
    H = std::max(H, in.image->image.height);
    W = std::max(W, in.image->image.width);
  }
  Tensor images = Tensor::full({B, 1, H, W}, black);
  for (int64_t b = 0; b < B; ++b) {
    const Image& im = inputs[b].image->image;
    float* dst = images.data() + b * H * W;
    for (int64_t y = 0; y < im.height; ++y)
      for (int64_t x = 0; x < im.width; ++x) dst[y * W + x] = (im.at(0, y, x) - mean) * inv_std;
  }
  const Tensor on_device = images.to(device);

  // One patch per (image, landmark), in chunks of `batch`.
  std::vector<Affine> to_original(B * K);
  std::vector<float> rows(B * K * 7);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t n = b * K + k;
      to_original[n] = patch_to_original(inputs[b].to_input, inputs[b].coarse[k], scale, P);
      const double f = 1.0 / static_cast<double>(inputs[b].image->factor);
      const Affine to_cache = to_original[n].then(Affine::scale(f, f));
      const float row[7] = {static_cast<float>(b), static_cast<float>(to_cache.a), static_cast<float>(to_cache.b),
                            static_cast<float>(to_cache.c), static_cast<float>(to_cache.d), static_cast<float>(to_cache.e),
                            static_cast<float>(to_cache.f)};
      std::copy(row, row + 7, rows.begin() + n * 7);
    }
  NoGrad no_grad;
  for (int64_t first = 0; first < B * K; first += batch) {
    const int64_t n = std::min(batch, B * K - first);
    const Tensor patches = Tensor::from_vector(std::vector<float>(rows.begin() + first * 7, rows.begin() + (first + n) * 7),
                                               {n, 7});
    const Tensor crops = crop_patches(on_device, patches.to(device), P, P, black);
    const Tensor heatmaps = refiner.forward(crops).to(Device::cpu());
    const int64_t h = heatmaps.size(2), w = heatmaps.size(3);
    const double to_patch = static_cast<double>(P) / static_cast<double>(w);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t id = first + i, b = id / K, k = id % K;
      Decoded d = decode_heatmap(heatmaps.data() + (i * K + k) * h * w, h, w, decoder, c.soft_argmax_beta,
                                 c.target_sigma);
      d.point = to_original[id].apply({d.point.x * to_patch, d.point.y * to_patch});
      out[b].push_back(d);
    }
  }
  return out;
}

}  // namespace heatmark
