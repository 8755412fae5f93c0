// `heatmark synth`: a generated dataset of X-ray-like images in the folder
// layout (landmarks.csv, landmarks.txt, spacing.csv, images/NNNN.png).
//
// Each image is a stylised lateral skull: soft tissue, a cranium with a bony
// shell and a sella (a small round pit), a mandible (ramus and body meeting at
// the gonial angle), a nasal bone, an incisor and a radiographic ruler, with
// bone texture, blur, noise and varying exposure. Landmarks sit on
// well-defined features: the sella's centre, the chin tip, the gonial corner,
// nasion, the incisor tip, a ruler tick; beyond six, small crosses at fixed
// places in the skull. Every image has its own pose (rotation, scale,
// translation) and shape variation, so the mean position is a poor guess and
// the positions must be found from the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heatmark {

struct SynthOptions {
  std::string out;
  int64_t count = 100;
  int64_t size = 256;  // square images
  int64_t landmarks = 2;
  uint64_t seed = 0;
  double mm_per_px = 0;  // 0: a 220 mm field of view across the image
  bool force = false;    // write into a non-empty folder (replacing a dataset there)
};

// Writes the dataset; throws heatmark::Error for bad options, an unwritable
// folder, or a non-empty one without `force`.
void synthesize_dataset(const SynthOptions& options);

std::vector<std::string> synth_landmark_names(int64_t count);

}  // namespace heatmark
