// The float CPU convolution: blocked lowering onto OpenBLAS sgemm.
//
// A convolution is a GEMM between the weights viewed as a (C_out, K) matrix,
// K = C_in*kH*kW, and the "column" matrix (K, OH*OW) whose column p holds the
// input patch under output pixel p. Building the whole column matrix
// (im2col) costs K*OH*OW floats per image: 340 MB for a 3x3, 64-channel
// layer at 384x384. So we build it one block of output pixels at a time, in a
// small per-thread workspace (at most kWorkspaceFloats), and call sgemm per
// block. 1x1 stride-1 convolutions need no lowering at all: x[n] already is
// the (C_in, H*W) column matrix.
//
// Parallelism: the work is split into items whose boundaries depend only on
// the shapes, and every output element is produced by one item in a fixed
// order, so results are bitwise identical for any thread count.
//   forward          items = (sample, pixel block, output-channel block)
//   backward data    items = (sample, input-channel block); gx blocks are disjoint
//   backward weight  items = blocks of rows k of the (C_out, K) gradient
#include <algorithm>
#include <vector>

#include "tensor/cpu/blas.h"
#include "tensor/cpu/conv2d.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

namespace {

constexpr int64_t kWorkspaceFloats = 1 << 18;  // 1 MiB of column matrix per thread
constexpr int64_t kCoBlock = 64;               // forward: output channels per item
constexpr int64_t kWeightRowBlock = 32;        // weight grad: rows of K per item
constexpr int64_t kDataRowTarget = 32;         // data grad: ~rows of K per input-channel block

float* workspace(int64_t floats) {
  thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < floats) buffer.resize(floats);
  return buffer.data();
}

// Pixels per block so that `rows` rows of the column matrix fit the workspace.
int64_t pixel_block(const Conv2dShape& s, int64_t rows) {
  const int64_t pixels = s.OH * s.OW;
  return std::clamp<int64_t>(kWorkspaceFloats / std::max<int64_t>(rows, 1), 16, pixels);
}

bool is_pointwise(const Conv2dShape& s) { return s.kH == 1 && s.kW == 1 && s.stride == 1 && s.pad == 0; }

// Walks the output pixels [p0, p0 + P) row segment by row segment and, for
// lowered row k = (ci, kh, kw), calls visit(col_offset, input_row or null,
// ow_begin, ow_end, valid_lo, valid_hi): the segment covers output columns
// [ow_begin, ow_end); the ones in [valid_lo, valid_hi) read input column
// ow*stride - pad + kw of input_row, the rest read zero padding.
template <typename Visit>
void walk_row(const Conv2dShape& s, int64_t kh, int64_t kw, int64_t p0, int64_t P, Visit&& visit) {
  // Output columns whose input column is inside [0, W).
  const int64_t lo_num = s.pad - kw;  // ow*stride >= pad - kw
  const int64_t ow_valid_lo = lo_num <= 0 ? 0 : (lo_num + s.stride - 1) / s.stride;
  const int64_t hi_num = s.W - 1 + s.pad - kw;  // ow*stride <= W - 1 + pad - kw
  const int64_t ow_valid_hi = hi_num < 0 ? 0 : hi_num / s.stride + 1;
  int64_t p = p0, j = 0;
  while (j < P) {
    const int64_t oh = p / s.OW, ow_begin = p % s.OW;
    const int64_t ow_end = std::min(s.OW, ow_begin + (P - j));
    const int64_t ih = oh * s.stride - s.pad + kh;
    const bool row_valid = ih >= 0 && ih < s.H;
    visit(j, row_valid ? ih : -1, ow_begin, ow_end, std::clamp(ow_valid_lo, ow_begin, ow_end),
          std::clamp(ow_valid_hi, ow_begin, ow_end));
    j += ow_end - ow_begin;
    p += ow_end - ow_begin;
  }
}

// col (k1 - k0, P) = rows [k0, k1) of the column matrix of image xn (C_in, H, W),
// for output pixels [p0, p0 + P).
void im2col_block(const Conv2dShape& s, const float* xn, int64_t k0, int64_t k1, int64_t p0, int64_t P,
                  float* col) {
  for (int64_t k = k0; k < k1; ++k) {
    const int64_t ci = k / (s.kH * s.kW), kh = (k / s.kW) % s.kH, kw = k % s.kW;
    float* dst = col + (k - k0) * P;
    walk_row(s, kh, kw, p0, P, [&](int64_t j, int64_t ih, int64_t ow_begin, int64_t ow_end, int64_t lo, int64_t hi) {
      float* d = dst + j - ow_begin;  // indexed by ow
      if (ih < 0) {
        std::fill(d + ow_begin, d + ow_end, 0.0f);
        return;
      }
      const float* xrow = xn + (ci * s.H + ih) * s.W - s.pad + kw;  // indexed by ow*stride
      std::fill(d + ow_begin, d + lo, 0.0f);
      for (int64_t ow = lo; ow < hi; ++ow) d[ow] = xrow[ow * s.stride];
      std::fill(d + hi, d + ow_end, 0.0f);
    });
  }
}

// The adjoint of im2col_block: gxn (C_in, H, W) += scatter of gcol (k1 - k0, P).
void col2im_block(const Conv2dShape& s, const float* gcol, int64_t k0, int64_t k1, int64_t p0, int64_t P,
                  float* gxn) {
  for (int64_t k = k0; k < k1; ++k) {
    const int64_t ci = k / (s.kH * s.kW), kh = (k / s.kW) % s.kH, kw = k % s.kW;
    const float* src = gcol + (k - k0) * P;
    walk_row(s, kh, kw, p0, P, [&](int64_t j, int64_t ih, int64_t ow_begin, int64_t, int64_t lo, int64_t hi) {
      if (ih < 0) return;
      const float* g = src + j - ow_begin;
      float* gxrow = gxn + (ci * s.H + ih) * s.W - s.pad + kw;
      for (int64_t ow = lo; ow < hi; ++ow) gxrow[ow * s.stride] += g[ow];
    });
  }
}

}  // namespace

void conv2d_forward_gemm(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y) {
  const int64_t K = s.gemm_k(), pixels = s.OH * s.OW;
  const int64_t P = is_pointwise(s) ? std::min<int64_t>(pixels, 4096) : pixel_block(s, K);
  const int64_t pixel_blocks = (pixels + P - 1) / P;
  const int64_t co_blocks = (s.C_out + kCoBlock - 1) / kCoBlock;
  parallel_items(s.N * pixel_blocks * co_blocks, [&](int64_t item) {
    const int64_t n = item / (pixel_blocks * co_blocks);
    const int64_t p0 = (item / co_blocks) % pixel_blocks * P;
    const int64_t co0 = item % co_blocks * kCoBlock;
    const int64_t np = std::min(P, pixels - p0), nco = std::min(kCoBlock, s.C_out - co0);
    const float* xn = x + n * s.C_in * s.H * s.W;  // (C_in, H, W)
    float* yblock = y + (n * s.C_out + co0) * pixels + p0;  // (nco, np) with row stride `pixels`
    if (is_pointwise(s)) {
      gemm(false, false, nco, np, K, 1.0f, w + co0 * K, K, xn + p0, pixels, 0.0f, yblock, pixels);
    } else {
      float* col = workspace(K * np);  // (K, np)
      im2col_block(s, xn, 0, K, p0, np, col);
      gemm(false, false, nco, np, K, 1.0f, w + co0 * K, K, col, np, 0.0f, yblock, pixels);
    }
    if (b)
      for (int64_t c = 0; c < nco; ++c)
        for (int64_t j = 0; j < np; ++j) yblock[c * pixels + j] += b[co0 + c];
  });
}

void conv2d_backward_data_gemm(const Conv2dShape& s, const float* gy, const float* w, float* gx) {
  const int64_t K = s.gemm_k(), pixels = s.OH * s.OW, taps = s.kH * s.kW;
  const int64_t ci_block = std::max<int64_t>(1, kDataRowTarget / taps);
  const int64_t ci_blocks = (s.C_in + ci_block - 1) / ci_block;
  parallel_items(s.N * ci_blocks, [&](int64_t item) {
    const int64_t n = item / ci_blocks, ci0 = item % ci_blocks * ci_block;
    const int64_t nci = std::min(ci_block, s.C_in - ci0);
    const int64_t k0 = ci0 * taps, k1 = (ci0 + nci) * taps;
    const float* gyn = gy + n * s.C_out * pixels;  // (C_out, pixels)
    float* gxn = gx + n * s.C_in * s.H * s.W;      // (C_in, H, W)
    if (is_pointwise(s)) {
      // gx[n][ci0:ci0+nci] (nci, HW) = w[:, ci0:ci0+nci]^T (nci, C_out) * gy[n] (C_out, HW)
      gemm(true, false, nci, pixels, s.C_out, 1.0f, w + ci0, K, gyn, pixels, 0.0f, gxn + ci0 * pixels, pixels);
      return;
    }
    std::fill(gxn + ci0 * s.H * s.W, gxn + (ci0 + nci) * s.H * s.W, 0.0f);
    const int64_t P = pixel_block(s, k1 - k0);
    float* gcol = workspace((k1 - k0) * P);
    for (int64_t p0 = 0; p0 < pixels; p0 += P) {
      const int64_t np = std::min(P, pixels - p0);
      // gcol (k1-k0, np) = w[:, k0:k1]^T (k1-k0, C_out) * gy[n][:, p0:p0+np] (C_out, np)
      gemm(true, false, k1 - k0, np, s.C_out, 1.0f, w + k0, K, gyn + p0, pixels, 0.0f, gcol, np);
      col2im_block(s, gcol, k0, k1, p0, np, gxn);
    }
  });
}

void conv2d_backward_weight_gemm(const Conv2dShape& s, const float* x, const float* gy, float* gw) {
  const int64_t K = s.gemm_k(), pixels = s.OH * s.OW;
  const int64_t row_blocks = (K + kWeightRowBlock - 1) / kWeightRowBlock;
  parallel_items(row_blocks, [&](int64_t block) {
    const int64_t k0 = block * kWeightRowBlock, k1 = std::min(K, k0 + kWeightRowBlock);
    const int64_t P = is_pointwise(s) ? pixels : pixel_block(s, k1 - k0);
    float* col = is_pointwise(s) ? nullptr : workspace((k1 - k0) * P);
    for (int64_t n = 0; n < s.N; ++n) {
      const float* xn = x + n * s.C_in * s.H * s.W;
      const float* gyn = gy + n * s.C_out * pixels;
      for (int64_t p0 = 0; p0 < pixels; p0 += P) {
        const int64_t np = std::min(P, pixels - p0);
        const float* cols = xn + k0 * pixels + p0;  // pointwise: x[n] is the column matrix
        int64_t ld = pixels;
        if (!is_pointwise(s)) {
          im2col_block(s, xn, k0, k1, p0, np, col);
          cols = col;
          ld = np;
        }
        // gw[:, k0:k1] (C_out, k1-k0) += gy[n][:, p0:p0+np] (C_out, np) * cols^T (np, k1-k0)
        gemm(false, true, s.C_out, k1 - k0, np, 1.0f, gyn + p0, pixels, cols, ld, 1.0f, gw + k0, K);
      }
    }
  });
}

}  // namespace heatmark::cpu
