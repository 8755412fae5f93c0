// The smallest complete use of the C++ API: load a trained model file, find
// the landmarks of one image, print them.
//
//   detect_example MODEL.safetensors IMAGE.png [cpu|cuda]
//
// Link against heatmark_infer (CMake: target_link_libraries(app heatmark_infer)).
#include <cstdio>
#include <exception>
#include <string>

#include "infer/detector.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.safetensors IMAGE [cpu|cuda]\n", argv[0]);
    return 2;
  }
  try {
    const heatmark::Device device = heatmark::Device::parse(argc > 3 ? argv[3] : "cpu");
    heatmark::Detector detector(argv[1], device);
    const std::vector<heatmark::Landmark> points = detector.predict(heatmark::load_image(argv[2], detector.image_load()));
    for (const heatmark::Landmark& p : points)
      std::printf("%-28s x %8.2f  y %8.2f  confidence %.3f\n", p.name.c_str(), p.x, p.y, p.confidence);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "detect_example: %s\n", e.what());
    return 1;
  }
}
