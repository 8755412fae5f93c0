#include "train/patches.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/error.h"
#include "infer/refine.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tensor/philox.h"

namespace heatmark {

namespace {
// Philox streams of the patch draws: offsets, and jitter + intensity.
constexpr uint64_t kOffsetStream = 0x0FF5E7, kJitterStream = 0x7A7C4;
}  // namespace

RefineImages cache_refine_images(const Dataset& dataset, const std::vector<size_t>& samples, const InputSpec& stage1,
                                 double scale) {
  RefineImages r;
  r.slot.assign(dataset.samples.size(), -1);
  r.images.resize(samples.size());
  r.to_input.resize(samples.size());
  std::vector<std::string> errors(samples.size());
  parallel_items(static_cast<int64_t>(samples.size()), [&](int64_t i) {
    try {
      // Decoded at the patches' resolution (usually the file's own, up to kMaxDecodedPixels).
      const Image image = load_image(dataset.samples[samples[i]].image, refiner_image_load(stage1, scale));
      const double w = static_cast<double>(image.original_width()), h = static_cast<double>(image.original_height());
      const double W = static_cast<double>(stage1.size.width), H = static_cast<double>(stage1.size.height);
      r.to_input[i] = stage1.stretch ? stretch(w, h, W, H) : letterbox(w, h, W, H);
      r.images[i] = cache_for_refiner(image, r.to_input[i], scale);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  });
  for (const std::string& e : errors) HM_CHECK(e.empty(), "{}", e);
  for (size_t i = 0; i < samples.size(); ++i) r.slot[samples[i]] = static_cast<int64_t>(i);
  return r;
}

PatchMaker::PatchMaker(const Dataset& dataset, const RefineImages& images, PatchOptions options,
                       const AugmentOptions& augment, uint64_t seed)
    : dataset_(dataset), images_(images), options_(std::move(options)), augment_(augment), seed_(seed) {
  // The jitter turns and scales the patch about its centre; the offset moves it.
  augment_.translate = 0;
  augment_.flip = false;
  HM_CHECK(options_.offset_std.size() == dataset.landmark_names.size(),
           "patches: {} offset deviations for {} landmarks", options_.offset_std.size(), dataset.landmark_names.size());
}

Affine PatchMaker::patch_map(size_t sample, int64_t k, uint64_t epoch, bool augment) const {
  const int64_t slot = images_.slot.at(sample);
  HM_CHECK(slot >= 0, "patches: sample {} was not loaded", sample);
  const Affine& to_input = images_.to_input[slot];
  Point centre = dataset_.samples[sample].landmarks[k];
  if (!augment) return patch_to_original(to_input, centre, options_.scale, options_.size);
  // The offset, Gaussian in stage-1 input pixels (Box-Muller), at most 3 deviations.
  const uint64_t id = sample * dataset_.landmark_names.size() + static_cast<uint64_t>(k);
  const Philox4x32 w = philox_block(seed_ ^ (epoch * 0x9E3779B97F4A7C15ull), id, kOffsetStream);
  const double radius = std::min(3.0, std::sqrt(-2.0 * std::log(philox_uniform(w.v[0]))));
  const double angle = 2.0 * M_PI * philox_uniform(w.v[1]), sd = options_.offset_std[k];
  const Point at = to_input.apply(centre);
  centre = to_input.inverse().apply({at.x + sd * radius * std::cos(angle), at.y + sd * radius * std::sin(angle)});
  const double side = static_cast<double>(options_.size);
  const AugmentDraw jitter = draw_augmentation(augment_, seed_ ^ kJitterStream, epoch, id, side, side);
  return patch_to_original(to_input, centre, options_.scale, options_.size, jitter.affine);
}

Batch PatchMaker::make(const std::vector<size_t>& samples, uint64_t epoch, bool augment) const {
  const int64_t B = static_cast<int64_t>(samples.size()), K = static_cast<int64_t>(dataset_.landmark_names.size());
  const int64_t P = options_.size, N = B * K;
  Batch batch;
  batch.samples = samples;
  batch.images = Tensor::empty({N, 1, P, P});
  std::vector<float> coords(N * K * 2, 0.0f), visible(N * K, 0.0f);
  for (int64_t b = 0; b < B; ++b) {
    const size_t sample = samples[b];
    const CachedImage& cached = images_.images[images_.slot.at(sample)];
    const Image& im = cached.image;
    const Tensor image = Tensor::from_vector(im.pixels, {1, 1, im.height, im.width});
    std::vector<float> rows(K * 7);
    std::vector<Affine> maps(K);
    for (int64_t k = 0; k < K; ++k) {
      maps[k] = patch_map(sample, k, epoch, augment);
      const double f = 1.0 / static_cast<double>(cached.factor);
      const Affine to_cache = maps[k].then(Affine::scale(f, f));
      const float row[7] = {0.0f, static_cast<float>(to_cache.a), static_cast<float>(to_cache.b),
                            static_cast<float>(to_cache.c), static_cast<float>(to_cache.d),
                            static_cast<float>(to_cache.e), static_cast<float>(to_cache.f)};
      std::copy(row, row + 7, rows.begin() + k * 7);
    }
    // The same op the refiner uses at inference, here on the CPU; black outside.
    const Tensor crops = kernels::crop_patches(image, Tensor::from_vector(rows, {K, 7}), P, P, 0.0f);
    for (int64_t k = 0; k < K; ++k) {
      const int64_t n = b * K + k;
      float* dst = batch.images.data() + n * P * P;
      std::copy(crops.data() + k * P * P, crops.data() + (k + 1) * P * P, dst);
      if (augment && augment_.enabled) {
        const double side = static_cast<double>(P);
        apply_intensity(draw_augmentation(augment_, seed_ ^ kJitterStream, epoch,
                                          sample * static_cast<uint64_t>(K) + static_cast<uint64_t>(k), side, side),
                        dst, P * P);
      }
      for (int64_t p = 0; p < P * P; ++p) dst[p] = (dst[p] - options_.mean) / options_.std;
      const Point truth = maps[k].inverse().apply(dataset_.samples[sample].landmarks[k]);
      for (int64_t j = 0; j < K; ++j) {  // every channel's slot holds the truth; only k's counts
        coords[(n * K + j) * 2] = static_cast<float>(truth.x);
        coords[(n * K + j) * 2 + 1] = static_cast<float>(truth.y);
      }
      visible[n * K + k] = 1.0f;
    }
  }
  batch.coords = Tensor::from_vector(coords, {N, K, 2});
  batch.visibility = Tensor::from_vector(visible, {N, K});
  return batch;
}

}  // namespace heatmark
