#include "train/step.h"

namespace heatmark {

StepOutput forward_and_loss(HRNet& model, const Tensor& images, const Tensor& landmarks, const LossSettings& s) {
  const Tensor heatmaps = model.forward(images);
  const int64_t B = heatmaps.size(0), K = heatmaps.size(1), H = heatmaps.size(2), W = heatmaps.size(3);
  const float to_heatmap = static_cast<float>(W) / static_cast<float>(s.input_size);
  // The targets and the true coordinates are constants: landmarks needs no gradient.
  const kernels::HeatmapTargets targets = render_gaussian_heatmaps(
      scale(landmarks, to_heatmap), Tensor::ones({B, K}, images.device()), H, W, static_cast<float>(s.sigma));
  const Tensor truth = scale(landmarks, 1.0f / static_cast<float>(s.input_size));
  StepOutput out;
  out.coords = soft_argmax(heatmaps, static_cast<float>(s.beta));
  out.loss = landmark_loss(heatmaps, targets.target, out.coords, truth, targets.weight,
                           static_cast<float>(s.heatmap_weight), static_cast<float>(s.coordinate_weight));
  return out;
}

}  // namespace heatmark
