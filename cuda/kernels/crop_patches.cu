// crop_patches: small patches sampled from a batch of images through one
// affine map each (no backward: images are data). images (B, C, H, W) and
// patches (N, 7), rows [b, a, bb, c, d, e, f] -> out (N, C, OH, OW). The
// convention and formula: tensor/cpu/crop_patches.h. One thread per output
// pixel: consecutive threads take consecutive pixels of a patch row, whose
// taps are neighbours in the image under a refiner's near-identity maps.
#include "cuda/kernel_api.h"

namespace heatmark::HM_BACKEND {

namespace {
// Pixel (x, y) of one channel plane (H, W), or `fill` outside it.
__device__ inline float tap_or_fill(const float* plane, int64_t H, int64_t W, int64_t x, int64_t y, float fill) {
  return x >= 0 && x < W && y >= 0 && y < H ? plane[y * W + x] : fill;
}

// The bilinear sample of a plane at the pixel-index point (u, v).
__device__ inline float sample_bilinear(const float* plane, int64_t H, int64_t W, float u, float v, float fill) {
  // Every tap is outside: all fill. This also keeps huge coordinates out of the integer casts.
  if (!(u > -1.0f && u < static_cast<float>(W) && v > -1.0f && v < static_cast<float>(H))) return fill;
  const float u0 = floorf(u), v0 = floorf(v), fx = u - u0, fy = v - v0;
  const int64_t x0 = static_cast<int64_t>(u0), y0 = static_cast<int64_t>(v0);
  const float top = (1.0f - fx) * tap_or_fill(plane, H, W, x0, y0, fill) +
                    fx * tap_or_fill(plane, H, W, x0 + 1, y0, fill);
  const float bottom = (1.0f - fx) * tap_or_fill(plane, H, W, x0, y0 + 1, fill) +
                       fx * tap_or_fill(plane, H, W, x0 + 1, y0 + 1, fill);
  return (1.0f - fy) * top + fy * bottom;
}
}  // namespace

__global__ void crop_patches_kernel(CropPatchesShape s, const float* __restrict__ images,
                                    const float* __restrict__ patches, float fill, float* __restrict__ out) {
  const int64_t total = s.N * s.C * s.OH * s.OW;
  for (int64_t index = global_thread_index(); index < total; index += grid_stride()) {
    const int64_t j = index % s.OW, i = index / s.OW % s.OH;
    const int64_t ch = index / (s.OW * s.OH) % s.C, n = index / (s.OW * s.OH * s.C);
    const float* row = patches + n * kPatchRowSize;
    const int64_t b = static_cast<int64_t>(row[0]);  // checked on the host: an integer in [0, B)
    // The pixel centre through the affine, then into pixel-index space (centres at integers).
    const float x = static_cast<float>(j) + 0.5f, y = static_cast<float>(i) + 0.5f;
    const float u = row[1] * x + row[2] * y + row[3] - 0.5f;
    const float v = row[4] * x + row[5] * y + row[6] - 0.5f;
    out[index] = sample_bilinear(images + (b * s.C + ch) * s.H * s.W, s.H, s.W, u, v, fill);
  }
}

void crop_patches(const CropPatchesShape& s, const float* images, const float* patches, float fill, float* out,
                  StreamHandle stream) {
  const int64_t n = s.N * s.C * s.OH * s.OW;
  if (n > 0)
    launch(crop_patches_kernel, grid_for(n), kBlockSize, 0, static_cast<cudaStream_t>(stream), s, images, patches,
           fill, out);
}

}  // namespace heatmark::HM_BACKEND
