// Validation: the model on the validation images, without augmentation,
// predictions mapped back to original pixels and scored (infer/metrics.h).
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"
#include "hrnet/hrnet.h"
#include "infer/metrics.h"
#include "train/loader.h"
#include "train/patches.h"
#include "train/step.h"
#include "train/train_config.h"

namespace heatmark {

std::vector<const Sample*> samples_of(const Dataset& d, const std::vector<size_t>& indices);

// Forward and loss of one batch on `device` (records the graph in grad mode).
StepOutput run_batch(HRNet& model, const Batch& batch, Device device, const TrainConfig& c);

struct Validation {
  Metrics metrics;
  double loss = 0;
  std::vector<std::vector<Point>> predictions;  // original-image pixels
};

// Runs in eval mode under NoGrad, and leaves the model in training mode.
Validation validate(HRNet& model, const BatchMaker& maker, const Dataset& d, const std::vector<size_t>& indices,
                    Device device, const TrainConfig& c);

// Stage 2 on the images `indices`: refines `coarse` (stage 1's estimates,
// original pixels, one row per index) with `refiner` and scores the result.
// Runs in eval mode under NoGrad and restores the refiner's mode; no loss.
Validation validate_refined(HRNet& refiner, double scale, const RefineImages& images,
                            const std::vector<std::vector<Point>>& coarse, const Dataset& d,
                            const std::vector<size_t>& indices, Device device);

// val_predictions.csv: one row per validation image, in original pixels.
void write_predictions_csv(const std::string& path, const Dataset& d, const std::vector<size_t>& indices,
                           const std::vector<std::vector<Point>>& predictions);

}  // namespace heatmark
