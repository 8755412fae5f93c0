#include "tensor/cpu/optimizers.h"

namespace heatmark::cpu {

void adam_step_chunks(const AdamOptions& o, double c1, double c2, double grad_scale,
                      const std::vector<ParamChunk>& chunks) {
  parallel_items(static_cast<int64_t>(chunks.size()), [&](int64_t c) {
    const ParamChunk& k = chunks[c];
    adam_update_range(o, c1, c2, grad_scale, k.param + k.offset, k.grad + k.offset, k.state0 + k.offset,
                      k.state1 + k.offset, k.count);
  });
}

GradientNorm gradient_norm_chunks(const std::vector<ParamChunk>& chunks, float max_norm) {
  std::vector<double> partial(chunks.size());
  parallel_items(static_cast<int64_t>(chunks.size()), [&](int64_t c) {
    partial[c] = squared_norm_block(chunks[c].grad + chunks[c].offset, chunks[c].count);
  });
  double sum = 0;
  for (double p : partial) sum += p;
  GradientNorm out;
  out.norm = std::sqrt(sum);
  out.scale = max_norm > 0 ? std::min(1.0, max_norm / (out.norm + 1e-6)) : 1.0;
  return out;
}

}  // namespace heatmark::cpu
