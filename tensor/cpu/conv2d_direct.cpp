// The float CPU convolution: direct convolution over flat, phase-split input
// grids, computed by the register-blocked micro-kernels of tile_kernels.h.
//
// The idea. A stride-s convolution reads padded input row s*oh + kh and column
// s*ow + kw. Split the zero-padded input into s*s phase planes,
//   plane (ru, rv)[a][b] = xpad[s*a + ru][s*b + rv],
// then tap (kh, kw) at output (oh, ow) reads plane (kh % s, kw % s) at
// (oh + kh / s, ow + kw / s). Store each plane flat with row width Wq, and
// compute the output on the same flat grid, at position q = oh * Wq + ow:
// every tap becomes one constant shift of q, (kh / s) * Wq + kw / s. So a run
// of NR consecutive outputs needs, per tap, NR consecutive inputs: one vector
// load, even across row ends. The grid's columns ow >= OW are computed and
// dropped (they cost (Wq - OW) / Wq of the work: 2 of 66 columns for a 3x3
// layer at 64 wide). No im2col buffer is built: the only copies are the
// planes (one pass over the input) and the crop of the output grid.
//
//   forward          y = conv(x, w) on the phase planes of x.
//   backward data    gx, split by the phase (ih + pad) % s of each input
//                    pixel: each phase is a stride-1 correlation of the
//                    zero-padded gy with the taps of that phase.
//   backward weight  gw[co][ci, kh, kw] += dot(gy row co on the forward grid,
//                    plane row of ci shifted by the tap): the dot tile.
//
// Parallelism and determinism: every output element is produced by one tile
// call, whose reduction order is fixed by the shapes alone (the weight
// gradient sums images and q chunks in order). The split of tiles among
// threads changes nothing, so results are bitwise identical for any thread
// count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor/cpu/conv2d.h"
#include "tensor/cpu/tile_grid.h"
#include "tensor/parallel.h"

namespace heatmark::cpu {

namespace {

// ---- flat phase planes --------------------------------------------------

// The phase planes of one (N, C, H, W) tensor with `pad` zeros around it:
// s*s planes of rows x cols per channel, each followed by kTileSlack zeros.
struct Planes {
  int64_t s, pad, rows, cols;
  // Rounded to whole cache lines, so that every plane starts aligned.
  int64_t plane_floats() const { return round_up(rows * cols + kTileSlack, 16); }
  int64_t channel_floats() const { return s * s * plane_floats(); }
  // The shift of tap (kh, kw) within a channel.
  int64_t tap_offset(int64_t kh, int64_t kw) const {
    return ((kh % s) * s + kw % s) * plane_floats() + (kh / s) * cols + kw / s;
  }
};

// dst (N*C, s*s planes) = the phase planes of src (N*C, H, W): plane
// (ru, rv)[a][b] = src[s*a + ru - pad][s*b + rv - pad], zero outside.
void fill_planes(const Planes& p, const float* src, int64_t images_x_channels, int64_t H, int64_t W, float* dst) {
  parallel_for(0, images_x_channels, 4, [&](int64_t lo, int64_t hi) {
    for (int64_t nc = lo; nc < hi; ++nc) {
      const float* in = src + nc * H * W;
      float* out = dst + nc * p.channel_floats();
      for (int64_t ru = 0; ru < p.s; ++ru)
        for (int64_t rv = 0; rv < p.s; ++rv) {
          float* plane = out + (ru * p.s + rv) * p.plane_floats();
          // Columns b whose input column s*b + rv - pad lies in [0, W).
          const int64_t b_lo = std::min(p.cols, std::max<int64_t>(0, ceil_div(p.pad - rv, p.s)));
          const int64_t b_hi = std::clamp<int64_t>(ceil_div(W + p.pad - rv, p.s), b_lo, p.cols);
          for (int64_t a = 0; a < p.rows; ++a) {
            float* row = plane + a * p.cols;
            const int64_t ih = p.s * a + ru - p.pad;
            if (ih < 0 || ih >= H || b_lo == b_hi) {
              std::fill(row, row + p.cols, 0.0f);
              continue;
            }
            const float* in_row = in + ih * W + p.s * b_lo + rv - p.pad;
            std::fill(row, row + b_lo, 0.0f);
            if (p.s == 1)
              std::memcpy(row + b_lo, in_row, (b_hi - b_lo) * sizeof(float));
            else if (p.s == 2)  // a constant stride, which the compiler vectorises
              for (int64_t b = b_lo; b < b_hi; ++b) row[b] = in_row[(b - b_lo) * 2];
            else
              for (int64_t b = b_lo; b < b_hi; ++b) row[b] = in_row[(b - b_lo) * p.s];
            std::fill(row + b_hi, row + p.cols, 0.0f);
          }
          std::fill(plane + p.rows * p.cols, plane + p.plane_floats(), 0.0f);
        }
    }
  });
}

// The forward grid of s: phase planes of the input wide enough for every tap.
Planes forward_planes(const Conv2dShape& s) {
  return {s.stride, s.pad, s.OH + (s.kH - 1) / s.stride, s.OW + (s.kW - 1) / s.stride};
}

std::vector<int64_t> forward_tap_offsets(const Conv2dShape& s, const Planes& p) {
  std::vector<int64_t> offsets;
  for (int64_t kh = 0; kh < s.kH; ++kh)
    for (int64_t kw = 0; kw < s.kW; ++kw) offsets.push_back(p.tap_offset(kh, kw));
  return offsets;
}

}  // namespace

void conv2d_forward_direct(const Conv2dShape& s, const float* x, const float* w, const float* b, float* y,
                           const ConvTiling& tiling) {
  const TileKernels& k = tiling.kernels ? *tiling.kernels : tile_kernels();
  const Planes p = forward_planes(s);
  const int64_t taps = s.kH * s.kW, grid_q = s.OH * p.cols, out_q = s.OH * s.OW;
  float* planes = scratch(Scratch::Planes, s.N * s.C_in * p.channel_floats());  // (N, C_in, s*s planes)
  fill_planes(p, x, s.N * s.C_in, s.H, s.W, planes);
  float* a = scratch(Scratch::Packed, packed_rows_a_floats(s.C_out, s.C_in, taps, k.rows_mr));
  pack_rows_a(s.C_out, s.C_in, taps, k.rows_mr,
              [&](int64_t co, int64_t ci, int64_t t) { return w[(co * s.C_in + ci) * taps + t]; }, a);
  const std::vector<int64_t> offsets = forward_tap_offsets(s, p);
  // When the grid is as wide as the output (1x1, no padding) the tiles write y itself.
  const bool in_place = p.cols == s.OW;
  float* grid = in_place ? y : scratch(Scratch::Grid, s.N * s.C_out * grid_q);  // (N, C_out, OH, Wq)
  std::vector<RowsGrid> grids(s.N);
  for (int64_t n = 0; n < s.N; ++n)
    grids[n] = {s.C_out, s.C_in, taps, offsets.data(), p.channel_floats(), a,
                planes + n * s.C_in * p.channel_floats(), grid + n * s.C_out * grid_q, grid_q, 0, grid_q};
  run_rows_grids(grids, k, tiling.rows);
  // Crop the grid to y and add the bias.
  parallel_for(0, s.N * s.C_out, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t nc = lo; nc < hi; ++nc) {
      const float bias = b ? b[nc % s.C_out] : 0.0f;
      float* out = y + nc * out_q;
      if (in_place) {
        if (b)
          for (int64_t i = 0; i < out_q; ++i) out[i] += bias;
        continue;
      }
      const float* src = grid + nc * grid_q;
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ++ow) out[oh * s.OW + ow] = src[oh * p.cols + ow] + bias;
    }
  });
}

void conv2d_backward_data_direct(const Conv2dShape& s, const float* gy, const float* w, float* gx,
                                 const ConvTiling& tiling) {
  const TileKernels& k = tiling.kernels ? *tiling.kernels : tile_kernels();
  const int64_t st = s.stride;
  // gx at padded row u = ih + pad, phase r = u % st, phase row a = u / st,
  // gathers gy row a - j through tap kh = r + st*j. Pad gy with E = the most
  // taps of a phase minus one rows above (and columns left), so a - j + E >= 0.
  const int64_t Eh = ceil_div(s.kH, st) - 1, Ew = ceil_div(s.kW, st) - 1;
  auto lo = [&](int64_t r) { return std::max<int64_t>(0, ceil_div(s.pad - r, st)); };  // first phase row/col
  auto hi_h = [&](int64_t r) { return ceil_div(s.H + s.pad - r, st); };                   // one past the last row
  auto hi_w = [&](int64_t r) { return ceil_div(s.W + s.pad - r, st); };
  int64_t rows = s.OH, cols = s.OW;
  for (int64_t r = 0; r < st; ++r) {
    rows = std::max(rows, hi_h(r));
    cols = std::max(cols, hi_w(r));
  }
  // gy padded: one plane per channel (stride 1), Eh rows and Ew columns of zeros first.
  const Planes g{1, 0, rows + Eh, cols + Ew};
  float* gpad = scratch(Scratch::Planes, s.N * s.C_out * g.channel_floats());  // (N, C_out, rows + Eh, cols + Ew)
  parallel_for(0, s.N * s.C_out, 4, [&](int64_t lo_nc, int64_t hi_nc) {
    for (int64_t nc = lo_nc; nc < hi_nc; ++nc) {
      float* plane = gpad + nc * g.channel_floats();
      std::fill(plane, plane + g.plane_floats(), 0.0f);
      for (int64_t oh = 0; oh < s.OH; ++oh)
        std::memcpy(plane + (oh + Eh) * g.cols + Ew, gy + (nc * s.OH + oh) * s.OW, s.OW * sizeof(float));
    }
  });

  // The phases and their taps: for phase (rh, rw), tap (jh, jw) is filter tap
  // (rh + st*jh, rw + st*jw), read at shift (Eh - jh) * cols' + (Ew - jw).
  struct Phase {
    int64_t rh, rw;
    std::vector<int64_t> kh, kw, offsets;
  };
  std::vector<Phase> phases;
  int64_t packed_floats = 0;
  for (int64_t rh = 0; rh < st; ++rh)
    for (int64_t rw = 0; rw < st; ++rw) {
      Phase ph{rh, rw, {}, {}, {}};
      for (int64_t kh = rh; kh < s.kH; kh += st)
        for (int64_t kw = rw; kw < s.kW; kw += st) {
          ph.kh.push_back(kh);
          ph.kw.push_back(kw);
          ph.offsets.push_back((Eh - (kh - rh) / st) * g.cols + (Ew - (kw - rw) / st));
        }
      packed_floats += packed_rows_a_floats(s.C_in, s.C_out, static_cast<int64_t>(ph.kh.size()), k.rows_mr);
      phases.push_back(std::move(ph));
    }
  // Weights per phase: rows are input channels, the reduction runs over output channels and the phase's taps.
  float* packed = scratch(Scratch::Packed, packed_floats);
  std::vector<const float*> phase_a;
  for (const Phase& ph : phases) {
    const int64_t ph_taps = static_cast<int64_t>(ph.kh.size());
    phase_a.push_back(packed);
    pack_rows_a(s.C_in, s.C_out, ph_taps, k.rows_mr, [&](int64_t ci, int64_t co, int64_t t) {
      return w[((co * s.C_in + ci) * s.kH + ph.kh[t]) * s.kW + ph.kw[t]];
    }, packed);
    packed += packed_rows_a_floats(s.C_in, s.C_out, ph_taps, k.rows_mr);
  }

  // The outputs: one grid per (image, phase) of C_in rows on the padded gy's
  // flat layout. For a 1x1 stride-1 convolution without padding, the one
  // phase's grid covers gx exactly and is gx itself.
  const int64_t grid_q = g.rows * g.cols;
  const bool in_place = st == 1 && s.pad == 0 && g.cols == s.W;
  const int64_t phase_count = st * st;
  float* grid = in_place ? gx : scratch(Scratch::Grid, s.N * phase_count * s.C_in * grid_q);  // (N, phases, C_in, grid)
  std::vector<RowsGrid> grids;
  for (int64_t n = 0; n < s.N; ++n)
    for (size_t f = 0; f < phases.size(); ++f) {
      const Phase& ph = phases[f];
      if (ph.kh.empty()) continue;  // no tap lands on this phase: its gx is zero
      const int64_t a_lo = lo(ph.rh), a_hi = hi_h(ph.rh), b_lo = lo(ph.rw), b_hi = hi_w(ph.rw);
      if (a_lo >= a_hi || b_lo >= b_hi) continue;
      float* c = in_place ? gx + n * s.C_in * s.H * s.W : grid + (n * phase_count + f) * s.C_in * grid_q;
      grids.push_back({s.C_in, s.C_out, static_cast<int64_t>(ph.kh.size()), ph.offsets.data(), g.channel_floats(),
                       phase_a[f], gpad + n * s.C_out * g.channel_floats(), c, in_place ? s.H * s.W : grid_q,
                       // Tiles start on a multiple of the tile width (the positions before
                       // the first needed one are dropped columns): aligned loads and stores.
                       (a_lo * g.cols + b_lo) / k.rows_nr * k.rows_nr, (a_hi - 1) * g.cols + b_hi});
    }
  run_rows_grids(grids, k, tiling.rows);
  if (in_place) return;
  // Interleave the phases into gx: padded row ih + pad is phase row
  // (ih + pad) / st of phase (ih + pad) % st, and the same for columns.
  std::vector<int64_t> col_phase(s.W), col_index(s.W);
  for (int64_t iw = 0; iw < s.W; ++iw) {
    col_phase[iw] = (iw + s.pad) % st;
    col_index[iw] = (iw + s.pad) / st;
  }
  parallel_for(0, s.N * s.C_in, 4, [&](int64_t lo_nc, int64_t hi_nc) {
    for (int64_t nc = lo_nc; nc < hi_nc; ++nc) {
      const int64_t n = nc / s.C_in, ci = nc % s.C_in;
      std::vector<const float*> phase_row(st);  // row a of each phase (null: no tap lands there)
      for (int64_t ih = 0; ih < s.H; ++ih) {
        const int64_t rh = (ih + s.pad) % st, a = (ih + s.pad) / st;
        float* out = gx + (nc * s.H + ih) * s.W;
        for (int64_t rw = 0; rw < st; ++rw) {
          const int64_t f = rh * st + rw;
          phase_row[rw] = phases[f].kh.empty() ? nullptr : grid + ((n * phase_count + f) * s.C_in + ci) * grid_q + a * g.cols;
        }
        if (st == 1) {
          std::memcpy(out, phase_row[0] + col_index[0], s.W * sizeof(float));
          continue;
        }
        for (int64_t iw = 0; iw < s.W; ++iw) {
          const float* row = phase_row[col_phase[iw]];
          out[iw] = row ? row[col_index[iw]] : 0.0f;
        }
      }
    }
  });
}

void conv2d_backward_weight_direct(const Conv2dShape& s, const float* x, const float* gy, float* gw,
                                   const ConvTiling& tiling) {
  const TileKernels& k = tiling.kernels ? *tiling.kernels : tile_kernels();
  const Planes p = forward_planes(s);
  const int64_t taps = s.kH * s.kW, K = s.C_in * taps;
  const int64_t grid_q = s.OH * p.cols, length = round_up(grid_q, kDotStep);
  float* planes = scratch(Scratch::Planes, s.N * s.C_in * p.channel_floats());  // (N, C_in, s*s planes)
  fill_planes(p, x, s.N * s.C_in, s.H, s.W, planes);
  // gy on the forward grid, zero in the dropped columns and up to `length`.
  const int64_t gy_row = length + kTileSlack;
  float* gyg = scratch(Scratch::Grid, s.N * s.C_out * gy_row);  // (N, C_out, gy_row)
  parallel_for(0, s.N * s.C_out, 8, [&](int64_t lo, int64_t hi) {
    for (int64_t nc = lo; nc < hi; ++nc) {
      float* row = gyg + nc * gy_row;
      std::fill(row, row + gy_row, 0.0f);
      for (int64_t oh = 0; oh < s.OH; ++oh)
        std::memcpy(row + oh * p.cols, gy + (nc * s.OH + oh) * s.OW, s.OW * sizeof(float));
    }
  });
  const std::vector<int64_t> offsets = forward_tap_offsets(s, p);

  // Items: chunks of column_blocks column blocks of gw (columns are
  // (ci, kh, kw)), for all output channels. An item walks images, then q in
  // chunks of q_chunk, then every output-channel block: the chunk of its
  // input rows stays in L1 while the output-gradient rows stream past. Each
  // sum runs over images and q chunks in order, whatever the items.
  const int64_t column_blocks = tiling.dot_column_blocks, q_chunk = round_up(tiling.dot_q_chunk, kDotStep);
  const int64_t mr = k.dot_mr, nb = k.dot_nb;
  const int64_t co_blocks = ceil_div(s.C_out, mr), col_blocks = ceil_div(K, nb);
  const int64_t col_chunks = ceil_div(col_blocks, column_blocks);
  // Narrow layers have few column chunks: split the output channels into
  // groups too, until there are a few items per thread.
  const int64_t groups =
      std::clamp<int64_t>(ceil_div(4 * static_cast<int64_t>(num_threads()), col_chunks), 1, co_blocks);
  parallel_items(col_chunks * groups, [&](int64_t item) {
    const int64_t cb0 = item / groups * column_blocks, cb1 = std::min(col_blocks, cb0 + column_blocks);
    const int64_t group = item % groups;
    const int64_t ob_begin = co_blocks * group / groups, ob_end = co_blocks * (group + 1) / groups;
    std::vector<float> sums(co_blocks * column_blocks * mr * nb, 0.0f);  // (co block, column block, mr, nb)
    const float* g_rows[16];
    std::vector<const float*> x_rows(column_blocks * 16);
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t q0 = 0; q0 < length; q0 += q_chunk) {
        const int64_t chunk = std::min(q_chunk, length - q0);
        for (int64_t cb = cb0; cb < cb1; ++cb)
          for (int j = 0; j < nb; ++j) {
            const int64_t col = std::min(cb * nb + j, K - 1), ci = col / taps, t = col % taps;
            x_rows[(cb - cb0) * 16 + j] = planes + (n * s.C_in + ci) * p.channel_floats() + offsets[t] + q0;
          }
        for (int64_t ob = ob_begin; ob < ob_end; ++ob) {
          const int64_t co0 = ob * mr;
          for (int i = 0; i < mr; ++i)
            g_rows[i] = gyg + (n * s.C_out + std::min(co0 + i, s.C_out - 1)) * gy_row + q0;
          const int m_valid = static_cast<int>(std::min(mr, s.C_out - co0));
          for (int64_t cb = cb0; cb < cb1; ++cb) {
            float* out = sums.data() + (ob * column_blocks + cb - cb0) * mr * nb;
            k.dot({chunk, g_rows, x_rows.data() + (cb - cb0) * 16, out, m_valid, static_cast<int>(std::min(nb, K - cb * nb))});
          }
        }
      }
    for (int64_t ob = ob_begin; ob < ob_end; ++ob)
      for (int64_t cb = cb0; cb < cb1; ++cb) {
        const float* out = sums.data() + (ob * column_blocks + cb - cb0) * mr * nb;
        const int64_t co0 = ob * mr, j0 = cb * nb;
        for (int64_t i = 0; i < std::min(mr, s.C_out - co0); ++i)
          for (int64_t j = 0; j < std::min(nb, K - j0); ++j) gw[(co0 + i) * K + j0 + j] += out[i * nb + j];
      }
  });
}

}  // namespace heatmark::cpu
