// 2-D affine maps between image coordinates, and warping images through them.
//
// Every coordinate follows the corner-origin convention of
// tensor/cpu/render_gaussian_heatmaps.h: pixel (row i, column j) is the unit square at
// [j, j+1) x [i, i+1), centre (j + 0.5, i + 0.5). Under that convention
// resizing by f is exactly x -> f x, so an image and its landmarks go
// through the same map, and predictions come back through its inverse.
#pragma once

#include "data/dataset.h"
#include "data/image.h"

namespace heatmark {

// x' = a x + b y + c,  y' = d x + e y + f
struct Affine {
  double a = 1, b = 0, c = 0, d = 0, e = 1, f = 0;

  Point apply(Point p) const { return {a * p.x + b * p.y + c, d * p.x + e * p.y + f}; }
  Affine inverse() const;
  // This map followed by `next`.
  Affine then(const Affine& next) const;

  static Affine scale(double sx, double sy) { return {sx, 0, 0, 0, sy, 0}; }
  static Affine translate(double tx, double ty) { return {1, 0, tx, 0, 1, ty}; }
  // Rotation by `degrees` (counter-clockwise on screen) and isotropic scale
  // about the point (cx, cy).
  static Affine rotate_scale_about(double degrees, double scale, double cx, double cy);
};

// Fits a width x height image into an out_width x out_height input: keeping
// the aspect ratio, centred, the rest padded ("letterbox"), or stretched to
// fill it.
Affine letterbox(double width, double height, double out_width, double out_height);
Affine stretch(double width, double height, double out_width, double out_height);

// Warps `source` into `out` (channels x out_h x out_w, planar) through the
// map `source_to_out`: each output pixel centre is mapped back into the
// source and sampled bilinearly; samples outside the source read `fill`.
void warp_bilinear(const Image& source, const Affine& source_to_out, int64_t out_w, int64_t out_h, float* out,
                   float fill = 0.0f);

}  // namespace heatmark
