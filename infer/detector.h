// The C++ inference API: a trained model file in, landmark positions out.
//
//   heatmark::Detector det("model.safetensors", heatmark::Device::cpu());
//   auto points = det.predict(heatmark::load_image("ceph.png", det.image_load()));
//   for (const auto& p : points) std::printf("%s %.1f %.1f\n", p.name.c_str(), p.x, p.y);
//
// The model file alone is enough: it carries the architecture, the input size
// and normalisation, and how images were fitted to the input (letterbox or
// stretch). A two-stage model file also holds the patch refiner
// (infer/refine.h), which the detector uses unless asked for stage 1 only.
// Positions are in the original image's pixels (corner-origin: the centre of
// the top-left pixel is (0.5, 0.5)).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/device.h"
#include "hrnet/hrnet.h"
#include "infer/decode.h"
#include "data/image.h"

namespace heatmark {

struct Landmark {
  std::string name;
  double x = 0, y = 0;      // original image pixels
  double confidence = 0;    // the heatmap peak (infer/decode.h)
};

class Detector {
 public:
  // Loads the model (a model file or a training checkpoint); throws
  // heatmark::Error naming the file when it is not a usable model. `stages`
  // 2 refines when the file has a refiner (1: the first stage alone).
  explicit Detector(const std::string& model_path, Device device = Device::cpu(),
                    Decoder decoder = Decoder::SoftArgmax, int stages = 2);
  ~Detector();

  // Images decoded at any scale (Image::scale); positions are in the file's pixels.
  std::vector<Landmark> predict(const Image& image);
  // Several images in one batch (faster than one at a time).
  std::vector<std::vector<Landmark>> predict(const std::vector<Image>& images);

  // What predict needs from an image file, for load_image: no more pixels
  // than the stages use (stage 1 about its input size, the refiner its
  // patches' resolution, often the file's own) and gray when both are gray.
  ImageLoad image_load() const;

  const HRNetConfig& config() const;
  Device device() const { return device_; }
  // Whether predictions are refined: the file has a refiner and stages is 2.
  bool refines() const { return refiner_ != nullptr; }

  // Wall-clock seconds spent so far in each stage, and the images seen.
  struct Timing {
    double stage1_seconds = 0, refine_seconds = 0;
    int64_t images = 0;
  };
  const Timing& timing() const { return timing_; }

 private:
  std::unique_ptr<HRNet> model_, refiner_;
  double scale_ = 0;
  Device device_;
  Decoder decoder_;
  Timing timing_;
};

}  // namespace heatmark
