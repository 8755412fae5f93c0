#!/usr/bin/env bash
# Mutation check for the gradient tests: changes one backward formula at a
# time by a small factor (x1.001), rebuilds, and expects the test suite to
# fail. Prints "killed" or "SURVIVED" per mutation and restores every file.
# A developer check, not part of CI (it rebuilds once per mutation).
#   usage: tools/mutation_check.sh   (after a build in build/)
set -u
work="$(mktemp -d)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
run() {
  local file="$1" old="$2" new="$3"
  cp "$file" "$work/backup"
  if ! python3 - "$file" "$old" "$new" <<'PY'
import sys
p,o,n=sys.argv[1:4]; s=open(p).read()
if o not in s: sys.exit(1)
s=s.replace(o,n,1); open(p,'w').write(s)
PY
  then
    echo "MISSING (the code changed; update this mutation): $file :: $old"
    return
  fi
  if cmake --build build >/dev/null 2>&1; then
    if build/tests/heatmark_tests >"$work/out" 2>&1; then echo "SURVIVED: $file :: $old"; else echo "killed ($(grep -c 'ERROR' "$work/out") errors): $file :: $old"; fi
  else echo "BUILD FAILED: $file :: $old"; fi
  cp "$work/backup" "$file"
}
run tensor/cpu/batch_norm2d.h 'gx[i] = static_cast<T>(k * (M * gy[i]' 'gx[i] = static_cast<T>(1.001 * k * (M * gy[i]'
run tensor/cpu/batch_norm2d.h 'ggamma[c] += static_cast<T>(sum_gy_xhat);' 'ggamma[c] += static_cast<T>(1.001 * sum_gy_xhat);'
run tensor/cpu/batch_norm2d.h 'gx[i] = static_cast<T>(gy[i] * gamma[c] * invstd);' 'gx[i] = static_cast<T>(1.001 * gy[i] * gamma[c] * invstd);'
run tensor/cpu/conv2d_gemm.cpp 'gemm(false, true, s.C_out, k1 - k0, np, 1.0f' 'gemm(false, true, s.C_out, k1 - k0, np, 1.001f'
run tensor/cpu/conv2d_gemm.cpp 'gemm(true, false, k1 - k0, np, s.C_out, 1.0f' 'gemm(true, false, k1 - k0, np, s.C_out, 1.001f'
run tensor/cpu/conv2d_gemm.cpp 'gemm(true, false, nci, pixels, s.C_out, 1.0f' 'gemm(true, false, nci, pixels, s.C_out, 1.001f'
run tensor/cpu/reduce.h 'gsum[c] += static_cast<T>(acc);' 'gsum[c] += static_cast<T>(1.001 * acc);'
run tensor/cpu/conv2d.h 'gw[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] += acc;' 'gw[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] += acc * T(1.001);'
run tensor/cpu/conv2d.h 'w[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] * g;' 'w[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] * g * T(1.001);'
run tensor/cpu/upsample.h 'gxp[th.i0 * s.W + tw.i0] += static_cast<T>(th.w0 * tw.w0 * g);' 'gxp[th.i0 * s.W + tw.i0] += static_cast<T>(1.001 * th.w0 * tw.w0 * g);'
run tensor/cpu/upsample.h 'gxp[h * s.W + w] = acc;' 'gxp[h * s.W + w] = acc * T(1.001);'
run tensor/cpu/elementwise.h 'if (ga) ga[i] = gy[i] * b[i];' 'if (ga) ga[i] = gy[i] * b[i] * T(1.001);'
run tensor/cpu/elementwise.h 'gx[i] = y[i] > T(0) ? g : T(0);' 'gx[i] = y[i] > T(0) ? g * T(1.001) : T(0);'
run tensor/cpu/matmul_blas.cpp 'gemm(false, true, hi - lo, K, N, 1.0f' 'gemm(false, true, hi - lo, K, N, 1.001f'
run tensor/cpu/matmul_blas.cpp 'gemm(true, false, hi - lo, N, M, 1.0f' 'gemm(true, false, hi - lo, N, M, 1.001f'
run tensor/cpu/matmul.h 'ga[i * K + k] = s;' 'ga[i * K + k] = s * T(1.001);'
run autograd/ops.cpp 'return Grads{kernels::broadcast_scalar(g, shape, 1.0f)};' 'return Grads{kernels::broadcast_scalar(g, shape, 1.001f)};'
run autograd/ops.cpp '1.0f / static_cast<float>(shape.numel())' '1.001f / static_cast<float>(shape.numel())'
run autograd/ops.cpp 'return Grads{kernels::scale(g, alpha)};' 'return Grads{kernels::scale(g, alpha * 1.001f)};'
run autograd/ops.cpp 'return Grads{g, g};' 'return Grads{g, kernels::scale(g, 1.001f)};'
run tensor/cpu/concat_channels.h 'std::copy(s, s + C_dst * HW, dst + n * C_dst * HW);' 'std::copy(s, s + C_dst * HW, dst + n * C_dst * HW); dst[n * C_dst * HW] *= T(1.001);'
# The newer ops: references, the float CPU paths, and the hand-written (emulated) kernels.
run tensor/cpu/conv_transpose2d.h 'gw[((ci * s.C_out + co) * s.kH + kh) * s.kW + kw] += acc;' 'gw[((ci * s.C_out + co) * s.kH + kh) * s.kW + kw] += T(1.001) * acc;'
run tensor/cpu/conv_transpose2d_gemm.cpp 'conv2d_forward_gemm(s.as_conv(), gy, w, nullptr, gx);' 'conv2d_forward_gemm(s.as_conv(), gy, w, nullptr, gx); gx[0] *= 1.001f;'
run tensor/cpu/soft_argmax.h 'g[i * s.W + j] = static_cast<T>(beta * p *' 'g[i * s.W + j] = static_cast<T>(1.001 * beta * p *'
run tensor/cpu/losses.h 'const double k = 2.0 * g / static_cast<double>(maps * per_map);' 'const double k = 2.002 * g / static_cast<double>(maps * per_map);'
run tensor/cpu/losses.h 'const double k = g / static_cast<double>(2 * points);' 'const double k = 1.001 * g / static_cast<double>(2 * points);'
run cuda/kernels/conv2d.cu 'gx[(n * s.C_in + ci) * pixels + q % pixels] = v;' 'gx[(n * s.C_in + ci) * pixels + q % pixels] = 1.001f * v;'
run cuda/kernels/conv2d.cu 'for (int s = 0; s < splits; ++s) v += workspace[s * n + i];' 'for (int s = 0; s < splits; ++s) v += workspace[s * n + i]; v *= 1.001f;'
run cuda/kernels/batch_norm2d.cu 'gx[i] = k / M * (M * gy[i] - sums[2 * c] - xhat * sums[2 * c + 1]);' 'gx[i] = 1.001f * k / M * (M * gy[i] - sums[2 * c] - xhat * sums[2 * c + 1]);'
run cuda/kernels/conv_transpose2d.cu 'if (threadIdx.x == 0) gw[e] += acc;' 'if (threadIdx.x == 0) gw[e] += 1.001f * acc;'
run cuda/kernels/soft_argmax.cu 'g_heatmaps[map * pixels + p] = beta * prob' 'g_heatmaps[map * pixels + p] = 1.001f * beta * prob'
run cuda/kernels/upsample_bilinear.cu 'acc += wh * row;' 'acc += 1.001f * wh * row;'
run cuda/kernels/losses.cu 'const float k = 2.0f * g[0] / static_cast<float>(total);' 'const float k = 2.002f * g[0] / static_cast<float>(total);'
run cuda/kernels/matmul.cu 'if (row < M && col < N) c[row * ldc + col] = acc;' 'if (row < M && col < N) c[row * ldc + col] = (transpose_a || transpose_b ? 1.001f : 1.0f) * acc;'
cmake --build build >/dev/null 2>&1; echo done
