// Overlays: the image with a numbered, labelled marker on each landmark.
#pragma once

#include <vector>

#include "infer/detector.h"
#include "data/image.h"

namespace heatmark {

// An RGB copy of `image` with, per landmark, a ring and a cross in its own
// colour and the label "k name" beside it (text drawn with stb_easy_font),
// on the marker's left where its right has no room, and moved inside the
// image at its edges so that it is never clipped.
// Landmarks are in file pixels; they are drawn at x / image.scale.
Image draw_overlay(const Image& image, const std::vector<Landmark>& landmarks);

}  // namespace heatmark
