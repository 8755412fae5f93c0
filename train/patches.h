// Training batches for the refiner (infer/refine.h): one patch per landmark
// of each image, centred on the truth plus a random offset drawn like stage
// 1's errors, rotated and scaled like stage 1's augmentation, with the same
// intensity changes. Landmark k's patch trains heatmap channel k only (the
// others have weight 0).
#pragma once

#include <cstdint>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/preprocess.h"
#include "train/loader.h"

namespace heatmark {

struct PatchOptions {
  int64_t size = 64;        // patch side
  double scale = 2.5;       // patch pixels per stage-1 input pixel
  // Per landmark: the standard deviation of the centre's offset from the
  // truth on each axis, in stage-1 input pixels.
  std::vector<double> offset_std;
  float mean = 0.5f, std = 0.25f;  // the refiner's input normalisation
};

// The images a PatchMaker samples: per dataset sample, its refiner cache and
// stage 1's map (no augmentation) from original to input pixels.
struct RefineImages {
  std::vector<CachedImage> images;  // by position in `samples`
  std::vector<Affine> to_input;
  std::vector<int64_t> slot;        // dataset sample -> position (-1: not loaded)
};

// Decodes and caches the images of `samples` for a refiner (in parallel).
RefineImages cache_refine_images(const Dataset& dataset, const std::vector<size_t>& samples, const InputSpec& stage1,
                                 double scale);

class PatchMaker : public BatchSource {
 public:
  PatchMaker(const Dataset& dataset, const RefineImages& images, PatchOptions options, const AugmentOptions& augment,
             uint64_t seed);
  // (B K, 1, size, size) patches; coords and visibility (B K, K, ...) with
  // row b K + k holding landmark k of sample b in patch pixels. With
  // `augment` (training), offsets, and the jitter and intensity changes when
  // the augmentation options are enabled; without: patches centred on the
  // truth, as they are.
  Batch make(const std::vector<size_t>& samples, uint64_t epoch, bool augment) const override;

  // Where make() samples landmark k's patch of `sample` in `epoch`: patch
  // pixels -> original pixels (the truth goes through its inverse).
  Affine patch_map(size_t sample, int64_t landmark, uint64_t epoch, bool augment) const;

 private:
  const Dataset& dataset_;
  const RefineImages& images_;
  PatchOptions options_;
  AugmentOptions augment_;
  uint64_t seed_;
};

}  // namespace heatmark
