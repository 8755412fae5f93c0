// From dataset samples to training batches.
//
// ImageCache decodes every image once and keeps it as a CachedImage
// (data/preprocess.h).
//
// BatchMaker turns sample indices into a Batch: one warp per image through
// original pixels -> cache pixels -> input (letterbox or stretch) ->
// random augmentation, the same map applied to the landmarks, intensity
// changes, then the model's normalisation.
//
// Loader runs a BatchMaker on a background thread over an epoch's order, a
// few batches ahead of the trainer.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/geometry.h"
#include "data/preprocess.h"
#include "tensor/tensor.h"

namespace heatmark {

class ImageCache {
 public:
  // Decodes the images of `indices` (in parallel); errors name the file.
  ImageCache(const Dataset& dataset, const std::vector<size_t>& indices, const InputSpec& input);
  const CachedImage& at(size_t sample) const;

 private:
  std::vector<int64_t> slot_;  // sample -> position in images_ (-1 if not cached)
  std::vector<CachedImage> images_;
};

struct Batch {
  Tensor images;                 // (B, C, H, W) normalised, on the CPU
  Tensor coords;                 // (B, K, 2) landmarks in input pixels
  Tensor visibility;             // (B, K) which landmarks train; undefined: all
  std::vector<size_t> samples;   // dataset indices
  std::vector<Affine> to_input;  // original image pixels -> input pixels, per image
};

// NaN or inf in a batch (an image that decoded to garbage, a fault in the
// augmentation) would poison the weights without a trace. Throws naming the
// tensor ('images' or 'landmarks'), the image file, the step and the epoch.
void check_batch_finite(const Batch& batch, const Dataset& dataset, int64_t step, int64_t epoch);

// What the Loader runs: turns sample indices into a batch. BatchMaker makes
// whole-image batches for stage 1, PatchMaker (train/patches.h) patches for
// the refiner.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The batch of `samples`; augmented with the draws of `epoch` when `augment`.
  virtual Batch make(const std::vector<size_t>& samples, uint64_t epoch, bool augment) const = 0;
};

class BatchMaker : public BatchSource {
 public:
  BatchMaker(const Dataset& dataset, const ImageCache& cache, const InputSpec& input, const AugmentOptions& augment,
             uint64_t seed);
  Batch make(const std::vector<size_t>& samples, uint64_t epoch, bool augment) const override;

 private:
  const Dataset& dataset_;
  const ImageCache& cache_;
  InputSpec input_;
  AugmentOptions augment_;
  uint64_t seed_;
};

// Background batches for one epoch: batches [first_batch, ...) of `order`
// cut into groups of `batch` (the last may be smaller).
class Loader {
 public:
  Loader(const BatchSource& maker, std::vector<size_t> order, int64_t batch, int64_t first_batch, uint64_t epoch,
         bool augment, size_t depth = 3);
  ~Loader();  // stops the thread, even mid-epoch
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next batch, or nothing at the end; rethrows an error of the thread.
  std::optional<Batch> next();

 private:
  void run();

  const BatchSource& maker_;
  std::vector<size_t> order_;
  int64_t batch_, next_batch_;
  uint64_t epoch_;
  bool augment_;
  size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  bool done_ = false, stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace heatmark
