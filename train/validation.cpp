#include "train/validation.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "autograd/grad_mode.h"
#include "base/error.h"
#include "data/csv.h"
#include "infer/refine.h"
#include "tensor/atomic_file.h"

namespace heatmark {

namespace fs = std::filesystem;

std::vector<const Sample*> samples_of(const Dataset& d, const std::vector<size_t>& indices) {
  std::vector<const Sample*> out;
  for (size_t i : indices) out.push_back(&d.samples[i]);
  return out;
}

StepOutput run_batch(HRNet& model, const Batch& batch, Device device, const TrainConfig& c) {
  const InputSize input = model.config().input_size;  // the refiner's patches or stage 1's input
  return forward_and_loss(model, batch.images.to(device), batch.coords.to(device),
                          LossSettings{input, c.sigma, c.beta, c.heatmap_weight, c.coordinate_weight},
                          batch.visibility.defined() ? batch.visibility.to(device) : Tensor());
}

Validation validate(HRNet& model, const BatchMaker& maker, const Dataset& d, const std::vector<size_t>& indices,
                    Device device, const TrainConfig& c) {
  Validation v;
  NoGrad no_grad;
  model.eval();
  // The model's own input (not the run's --input-size: stage 1 under --refine-from may differ).
  const InputSize input = model.config().input_size;
  double loss_sum = 0;
  for (size_t first = 0; first < indices.size(); first += c.batch) {
    const std::vector<size_t> part(indices.begin() + first,
                                   indices.begin() + std::min(indices.size(), first + static_cast<size_t>(c.batch)));
    const Batch batch = maker.make(part, 0, false);
    const StepOutput r = run_batch(model, batch, device, c);
    loss_sum += r.loss.total.item() * static_cast<double>(part.size());
    const std::vector<float> coords = r.coords.to_vector();
    const size_t K = d.landmark_names.size();
    for (size_t b = 0; b < part.size(); ++b) {
      const Affine back = batch.to_input[b].inverse();
      std::vector<Point> points;
      for (size_t k = 0; k < K; ++k)
        points.push_back(back.apply({coords[(b * K + k) * 2] * static_cast<double>(input.width),
                                     coords[(b * K + k) * 2 + 1] * static_cast<double>(input.height)}));
      v.predictions.push_back(points);
    }
  }
  model.train();
  v.loss = loss_sum / static_cast<double>(std::max<size_t>(indices.size(), 1));
  v.metrics = compute_metrics(v.predictions, samples_of(d, indices));
  return v;
}

Validation validate_refined(HRNet& refiner, double scale, const RefineImages& images,
                            const std::vector<std::vector<Point>>& coarse, const Dataset& d,
                            const std::vector<size_t>& indices, Device device) {
  HM_CHECK(coarse.size() == indices.size(), "validation: {} coarse estimates for {} images", coarse.size(),
           indices.size());
  std::vector<RefineInput> inputs;
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t slot = images.slot.at(indices[i]);
    inputs.push_back({&images.images.at(slot), images.to_input[slot], coarse[i]});
  }
  const bool training = refiner.is_training();
  refiner.eval();
  const std::vector<std::vector<Decoded>> refined = refine_landmarks(refiner, scale, inputs, device);
  if (training) refiner.train();
  Validation v;
  for (const std::vector<Decoded>& image : refined) {
    std::vector<Point> points;
    for (const Decoded& p : image) points.push_back(p.point);
    v.predictions.push_back(points);
  }
  v.metrics = compute_metrics(v.predictions, samples_of(d, indices));
  return v;
}

void write_predictions_csv(const std::string& path, const Dataset& d, const std::vector<size_t>& indices,
                           const std::vector<std::vector<Point>>& predictions) {
  std::vector<std::string> header = {"image"};
  for (size_t k = 0; k < d.landmark_names.size(); ++k) {
    header.push_back(fmt::format("x{}", k + 1));
    header.push_back(fmt::format("y{}", k + 1));
  }
  std::string csv = csv_row(header);
  for (size_t i = 0; i < indices.size(); ++i) {
    // Image names are the user's: csv_row quotes a comma, quote or line break in them.
    std::vector<std::string> row = {fs::relative(d.samples[indices[i]].image, d.root).string()};
    for (const Point& p : predictions[i]) {
      row.push_back(fmt::format("{:.3f}", p.x));
      row.push_back(fmt::format("{:.3f}", p.y));
    }
    csv += csv_row(row);
  }
  write_file_atomically(path, csv);
}

}  // namespace heatmark
