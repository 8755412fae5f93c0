// Coarse-to-fine refinement, the second stage of a two-stage model.
//
// Stage 1 (the HRNet of the model file) sees the whole image at its input
// resolution and finds every landmark roughly: one heatmap pixel is 4 input
// pixels. Stage 2, a smaller HRNet, sees a size x size patch of the image
// around each rough estimate, `scale` times the stage-1 input's resolution,
// and finds the landmark again in patch coordinates (heatmap channel k for
// landmark k). Every patch of every image of a batch goes through the
// device in one crop (crop_patches) and one forward pass.
//
// The patch grid is the stage-1 input's grid around the estimate, magnified:
// a patch pixel is 1 / scale of an input pixel, in the input's orientation.
// Images of any resolution are thus seen at one physical scale, as stage 1
// sees them. Patches are sampled from the image shrunk by an integer box
// filter (CachedImage) to no coarser than the patch needs, the same way in
// training and at inference.
#pragma once

#include <cstdint>
#include <vector>

#include "base/device.h"
#include "data/geometry.h"
#include "data/input_spec.h"
#include "data/preprocess.h"
#include "hrnet/hrnet.h"
#include "infer/decode.h"

namespace heatmark {

// Patch pixels -> original image pixels, for the patch centred on `centre`
// (original pixels) of an image whose stage-1 map is `to_input`. `jitter`, a
// map of patch pixels that keeps the centre (training's augmentation), comes
// first; the identity at inference.
Affine patch_to_original(const Affine& to_input, Point centre, double scale, int64_t size, const Affine& jitter = {});

// The image a refiner samples for an image whose stage-1 map is `to_input`:
// gray, shrunk by the largest box factor that keeps every patch pixel's
// detail (at least 1). An image the decoder already shrank (Image::scale) is
// shrunk only by what is left.
CachedImage cache_for_refiner(const Image& image, const Affine& to_input, double scale);

// What to ask load_image for when the image is for a refiner of `scale` on
// `stage1`'s grid: gray, shrunk as cache_for_refiner would shrink it. A patch
// pixel is 1 / scale of an input pixel, so this is usually the file's own
// resolution (up to kMaxDecodedPixels), not the stage-1 input's.
ImageLoad refiner_image_load(const InputSpec& stage1, double scale);

struct RefineInput {
  const CachedImage* image;        // cache_for_refiner's
  Affine to_input;                 // stage 1's original -> input map
  std::vector<Point> coarse;       // stage 1's estimates, original pixels
};

// Stage 2 on every landmark of every image: patches of refiner.config()'s
// input size around the coarse estimates, batched on `device` (at most
// `batch` patches per forward pass), decoded like stage 1 and mapped back to
// original pixels. Runs under NoGrad; the refiner should be in eval mode.
std::vector<std::vector<Decoded>> refine_landmarks(HRNet& refiner, double scale, const std::vector<RefineInput>& inputs,
                                                   Device device, Decoder decoder = Decoder::SoftArgmax,
                                                   int64_t batch = 256);

}  // namespace heatmark
