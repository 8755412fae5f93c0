#include "train/step.h"

#include <vector>

#include "base/error.h"

namespace heatmark {

StepOutput forward_and_loss(HRNet& model, const Tensor& images, const Tensor& landmarks, const LossSettings& s,
                            const Tensor& visibility) {
  const Tensor heatmaps = model.forward(images);
  const int64_t B = heatmaps.size(0), K = heatmaps.size(1), H = heatmaps.size(2), W = heatmaps.size(3);
  const int64_t in_w = s.input_size.width, in_h = s.input_size.height;
  HM_CHECK(W * in_h == H * in_w, "forward_and_loss: {}x{} heatmaps do not scale a {}x{} input evenly", W, H, in_w, in_h);
  const float to_heatmap = static_cast<float>(W) / static_cast<float>(in_w);  // the same on both axes
  // The targets and the true coordinates are constants: landmarks needs no gradient.
  const kernels::HeatmapTargets targets = render_gaussian_heatmaps(
      scale(landmarks, to_heatmap), visibility.defined() ? visibility : Tensor::ones({B, K}, images.device()), H, W,
      static_cast<float>(s.sigma));
  // Soft-argmax gives x / width and y / height: the truth in the same units.
  std::vector<float> per_axis(B * K * 2);
  for (int64_t i = 0; i < B * K; ++i) {
    per_axis[2 * i] = 1.0f / static_cast<float>(in_w);
    per_axis[2 * i + 1] = 1.0f / static_cast<float>(in_h);
  }
  const Tensor truth = mul(landmarks, Tensor::from_vector(per_axis, {B, K, 2}).to(landmarks.device()));
  StepOutput out;
  out.coords = soft_argmax(heatmaps, static_cast<float>(s.beta));
  out.loss = landmark_loss(heatmaps, targets.target, out.coords, truth, targets.weight,
                           static_cast<float>(s.heatmap_weight), static_cast<float>(s.coordinate_weight));
  return out;
}

}  // namespace heatmark
