// Dispatch of crop_patches (patches sampled from a batch of images): checks,
// then the CPU kernel or a launcher for the device.
#include "tensor/dispatch/dispatch.h"

#include <cmath>

#include "tensor/cpu/crop_patches.h"

namespace heatmark::kernels {

namespace {

// Every patch row, read on the host (patches is tiny): an image index out of
// range would make the kernels read outside `images`, and a non-finite map
// would quietly give patches of fill or NaN.
void check_patch_rows(const Tensor& patches, const Tensor& images) {
  static const char* const kCoefficient[kPatchRowSize] = {"b", "a", "bb", "c", "d", "e", "f"};
  const std::vector<float> rows = patches.to_vector();
  const int64_t B = images.size(0);
  for (int64_t n = 0; n < patches.size(0); ++n) {
    const float* row = rows.data() + n * kPatchRowSize;
    const float b = row[0];
    HM_CHECK(std::isfinite(b) && b == std::floor(b) && b >= 0 && b < static_cast<float>(B),
             "crop_patches: row {} of {} has image index {}, which must be an integer in [0, {}) for {} of shape {}", n,
             patches.label("patches"), b, B, images.label("images"), images.shape().str());
    for (int k = 1; k < kPatchRowSize; ++k)
      HM_CHECK(std::isfinite(row[k]), "crop_patches: row {} of {} has a non-finite affine coefficient {} = {}", n,
               patches.label("patches"), kCoefficient[k], row[k]);
  }
}

}  // namespace

Tensor crop_patches(const Tensor& images, const Tensor& patches, int64_t out_h, int64_t out_w, float fill) {
  profiler::OpScope scope("crop_patches", profiler::OpKind::Resample, device_of(images));
  check_ndim("crop_patches", images, "images", 4, "(B, C, H, W)");
  check_ndim("crop_patches", patches, "patches", 2, "(N, 7) of rows [b, a, bb, c, d, e, f]");
  HM_CHECK(patches.size(1) == kPatchRowSize,
           "crop_patches: {} must have shape (N, 7), rows [b, a, bb, c, d, e, f], got {}", patches.label("patches"),
           patches.shape().str());
  check_same_device("crop_patches", images, patches, "patches");
  HM_CHECK(out_h >= 1 && out_w >= 1, "crop_patches: a {}x{} patch is invalid; out_h and out_w must be at least 1",
           out_h, out_w);
  check_patch_rows(patches, images);
  const CropPatchesShape s{images.size(0), images.size(1), images.size(2), images.size(3),
                           patches.size(0), out_h,          out_w};
  Tensor out = Tensor::empty({s.N, s.C, s.OH, s.OW}, images.device());
  if (images.device().is_cpu())
    cpu::crop_patches(s, images.data(), patches.data(), fill, out.data());
  else
    HM_LAUNCH_ON(images.device(), crop_patches, s, images.data(), patches.data(), fill, out.data());
  return out;
}

}  // namespace heatmark::kernels
