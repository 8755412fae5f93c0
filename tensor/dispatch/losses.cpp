// Dispatch of the weighted losses (weighted_mse, weighted_l1): checks, then the CPU kernel or a
// launcher (or a vendor library) for the device.
#include "tensor/dispatch/dispatch.h"

#include "tensor/cpu/losses.h"

namespace heatmark::kernels {

namespace {
// (maps, values per map) of a prediction whose first two dimensions are (N, K).
std::pair<int64_t, int64_t> check_loss_inputs(const char* op, const Tensor& pred, const Tensor& target,
                                              const Tensor& weight) {
  check_same_shape(op, pred, "prediction", target, "target");
  check_same_device(op, pred, target, "target");
  check_same_device(op, pred, weight, "weight");
  HM_CHECK(pred.ndim() >= 2, "{}: {} must be (N, K, ...), got shape {}", op, pred.label("prediction"),
           pred.shape().str());
  check_landmark_weights(op, weight, HeatmapShape{pred.size(0), pred.size(1), 0, 0}, "weight");
  const int64_t maps = pred.size(0) * pred.size(1);
  return {maps, maps == 0 ? 0 : pred.numel() / maps};
}
}  // namespace

Tensor weighted_mse_forward(const Tensor& pred, const Tensor& target, const Tensor& weight) {
  profiler::OpScope scope("weighted_mse_forward", profiler::OpKind::Loss, device_of(pred));
  const auto [maps, per_map] = check_loss_inputs("weighted_mse", pred, target, weight);
  HM_CHECK(pred.numel() > 0, "weighted_mse: {} is empty", pred.label("prediction"));
  if (pred.device().is_cpu())
    return Tensor::scalar(
        static_cast<float>(cpu::weighted_mse_forward(pred.data(), target.data(), weight.data(), maps, per_map)));
  Tensor out = Tensor::empty(Shape{}, pred.device()), partials = Tensor::empty({maps}, pred.device());
  HM_LAUNCH_ON(pred.device(), weighted_mse_forward, pred.data(), target.data(), weight.data(), maps, per_map,
               partials.data(), out.data());
  return out;
}

Tensor weighted_mse_backward(const Tensor& pred, const Tensor& target, const Tensor& weight, const Tensor& g) {
  profiler::OpScope scope("weighted_mse_backward", profiler::OpKind::Loss, device_of(pred));
  const auto [maps, per_map] = check_loss_inputs("weighted_mse backward", pred, target, weight);
  Tensor grad = Tensor::empty(pred.shape(), pred.device());
  if (pred.device().is_cpu())
    cpu::weighted_mse_backward(pred.data(), target.data(), weight.data(), maps, per_map, g.item(), grad.data());
  else
    HM_LAUNCH_ON(pred.device(), weighted_mse_backward, pred.data(), target.data(), weight.data(), maps, per_map,
                 g.data(), grad.data());
  return grad;
}

Tensor weighted_l1_forward(const Tensor& pred, const Tensor& truth, const Tensor& weight) {
  profiler::OpScope scope("weighted_l1_forward", profiler::OpKind::Loss, device_of(pred));
  check_landmarks("weighted_l1", pred, "predicted coordinates");
  const auto [points, per_point] = check_loss_inputs("weighted_l1", pred, truth, weight);
  HM_CHECK(points > 0, "weighted_l1: {} is empty", pred.label("predicted coordinates"));
  if (pred.device().is_cpu())
    return Tensor::scalar(static_cast<float>(cpu::weighted_l1_forward(pred.data(), truth.data(), weight.data(), points)));
  Tensor out = Tensor::empty(Shape{}, pred.device());
  HM_LAUNCH_ON(pred.device(), weighted_l1_forward, pred.data(), truth.data(), weight.data(), points, out.data());
  return out;
}

Tensor weighted_l1_backward(const Tensor& pred, const Tensor& truth, const Tensor& weight, const Tensor& g) {
  profiler::OpScope scope("weighted_l1_backward", profiler::OpKind::Loss, device_of(pred));
  const auto [points, per_point] = check_loss_inputs("weighted_l1 backward", pred, truth, weight);
  Tensor grad = Tensor::empty(pred.shape(), pred.device());
  if (pred.device().is_cpu())
    cpu::weighted_l1_backward(pred.data(), truth.data(), weight.data(), points, g.item(), grad.data());
  else
    HM_LAUNCH_ON(pred.device(), weighted_l1_backward, pred.data(), truth.data(), weight.data(), points, g.data(),
                 grad.data());
  return grad;
}

}  // namespace heatmark::kernels
