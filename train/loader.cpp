#include "train/loader.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "tensor/parallel.h"

namespace heatmark {

ImageCache::ImageCache(const Dataset& dataset, const std::vector<size_t>& indices, const InputSpec& input)
    : slot_(dataset.samples.size(), -1), images_(indices.size()) {
  for (size_t i = 0; i < indices.size(); ++i) slot_[indices[i]] = static_cast<int64_t>(i);
  std::vector<std::string> errors(indices.size());
  parallel_items(static_cast<int64_t>(indices.size()), [&](int64_t i) {
    try {
      images_[i] = cache_image(load_image(dataset.samples[indices[i]].image, image_load_for(input)), input);
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  });
  for (const std::string& e : errors) HM_CHECK(e.empty(), "{}", e);
}

const CachedImage& ImageCache::at(size_t sample) const {
  HM_CHECK(sample < slot_.size() && slot_[sample] >= 0, "image cache: sample {} was not loaded", sample);
  return images_[slot_[sample]];
}

BatchMaker::BatchMaker(const Dataset& dataset, const ImageCache& cache, const InputSpec& input,
                       const AugmentOptions& augment, uint64_t seed)
    : dataset_(dataset), cache_(cache), input_(input), augment_(augment), seed_(seed) {}

Batch BatchMaker::make(const std::vector<size_t>& samples, uint64_t epoch, bool augment) const {
  const int64_t B = static_cast<int64_t>(samples.size()), C = input_.channels;
  const int64_t W = input_.size.width, H = input_.size.height;
  const int64_t K = static_cast<int64_t>(dataset_.landmark_names.size());
  Batch batch;
  batch.samples = samples;
  batch.images = Tensor::empty({B, C, H, W});
  std::vector<float> coords(B * K * 2);
  for (int64_t b = 0; b < B; ++b) {
    const size_t sample = samples[b];
    const AugmentDraw draw = augment ? draw_augmentation(augment_, seed_, epoch, sample, static_cast<double>(W),
                                                         static_cast<double>(H))
                                     : AugmentDraw{};
    const Affine to_input = prepare_input(cache_.at(sample), input_, draw, augment, batch.images.data() + b * C * H * W);
    batch.to_input.push_back(to_input);
    for (int64_t k = 0; k < K; ++k) {  // the landmarks go through the same map
      const Point q = to_input.apply(dataset_.samples[sample].landmarks[k]);
      coords[(b * K + k) * 2] = static_cast<float>(q.x);
      coords[(b * K + k) * 2 + 1] = static_cast<float>(q.y);
    }
  }
  batch.coords = Tensor::from_vector(coords, {B, K, 2});
  return batch;
}

Loader::Loader(const BatchSource& maker, std::vector<size_t> order, int64_t batch, int64_t first_batch, uint64_t epoch,
               bool augment, size_t depth)
    : maker_(maker),
      order_(std::move(order)),
      batch_(batch),
      next_batch_(first_batch),
      epoch_(epoch),
      augment_(augment),
      depth_(depth),
      thread_([this] { run(); }) {}

Loader::~Loader() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void Loader::run() {
  try {
    const int64_t n = static_cast<int64_t>(order_.size());
    for (int64_t b = next_batch_; b * batch_ < n; ++b) {
      std::vector<size_t> samples(order_.begin() + b * batch_, order_.begin() + std::min(n, (b + 1) * batch_));
      Batch ready = maker_.make(samples, epoch_, augment_);
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
      if (stop_) return;
      ready_.push_back(std::move(ready));
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

std::optional<Batch> Loader::next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (!ready_.empty()) {
    Batch b = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return b;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

void check_batch_finite(const Batch& batch, const Dataset& d, int64_t step, int64_t epoch) {
  const int64_t per_image = batch.images.numel() / batch.images.shape()[0];
  const int64_t per_coords = batch.coords.numel() / batch.coords.shape()[0];
  const float* pixels = batch.images.data();
  const float* coords = batch.coords.data();
  for (size_t b = 0; b < batch.samples.size(); ++b) {
    const auto finite = [](const float* v, int64_t n) { return std::all_of(v, v + n, [](float x) { return std::isfinite(x); }); };
    const std::string& image = d.samples[batch.samples[b]].image;
    HM_CHECK(finite(pixels + static_cast<int64_t>(b) * per_image, per_image),
             "step {} (epoch {}): the input tensor 'images' holds NaN or inf for {}; stopping", step, epoch, image);
    HM_CHECK(finite(coords + static_cast<int64_t>(b) * per_coords, per_coords),
             "step {} (epoch {}): the input tensor 'landmarks' holds NaN or inf for {}; stopping", step, epoch, image);
  }
}

}  // namespace heatmark
