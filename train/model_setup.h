// The model a run trains: built from the training config and the dataset's
// landmarks, optionally starting from pretrained weights (timm's ImageNet
// HRNet, or a heatmark model file of the same architecture).
#pragma once

#include <cstdio>
#include <memory>

#include "data/dataset.h"
#include "hrnet/hrnet.h"
#include "train/train_config.h"

namespace heatmark {

HRNetConfig model_config(const TrainConfig& config, const Dataset& data);
// Stage 2's network (infer/refine.h): the refine_model layout on gray
// refine_size patches, one heatmap per landmark, trained from scratch.
HRNetConfig refiner_config(const TrainConfig& config, const Dataset& data);
// Logs what was imported to `log`.
std::unique_ptr<HRNet> make_model(const TrainConfig& config, HRNetConfig model_config, std::FILE* log);

}  // namespace heatmark
