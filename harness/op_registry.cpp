// The registry of every op the harness tests, gathered from the op_cases_*
// files: shapes, parameters, the double CPU reference (tensor/cpu/) and the
// op under test (autograd/ops.h) for each.
//
// Shapes are small and deliberately odd (7x9 images, 17 channels, a 181x181
// image whose lowering blocks split rows) so that edge handling is exercised.
#include "harness/op_cases.h"

namespace heatmark::harness {

namespace {

std::vector<OpFamily> build_registry() {
  std::vector<OpFamily> all;
  for (auto group : {&elementwise_families, &layer_families, &landmark_families, &optimizer_families})
    for (OpFamily& f : group()) all.push_back(std::move(f));
  return all;
}

}  // namespace

const std::vector<OpFamily>& registry() {
  static const std::vector<OpFamily> families = build_registry();
  return families;
}

}  // namespace heatmark::harness
