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
  python3 - "$file" "$old" "$new" <<'PY'
import sys
p,o,n=sys.argv[1:4]; s=open(p).read()
assert o in s, (p,o)
s=s.replace(o,n,1); open(p,'w').write(s)
PY
  if cmake --build build >/dev/null 2>&1; then
    if build/tests/heatmark_tests >"$work/out" 2>&1; then echo "SURVIVED: $file :: $old"; else echo "killed ($(grep -c 'ERROR' "$work/out") errors): $file :: $old"; fi
  else echo "BUILD FAILED: $file :: $old"; fi
  cp "$work/backup" "$file"
}
run tensor/cpu/batchnorm.h 'gx[i] = static_cast<T>(k * (M * gy[i]' 'gx[i] = static_cast<T>(1.001 * k * (M * gy[i]'
run tensor/cpu/batchnorm.h 'ggamma[c] += static_cast<T>(sum_gy_xhat);' 'ggamma[c] += static_cast<T>(1.001 * sum_gy_xhat);'
run tensor/cpu/batchnorm.h 'gx[i] = static_cast<T>(gy[i] * gamma[c] * invstd);' 'gx[i] = static_cast<T>(1.001 * gy[i] * gamma[c] * invstd);'
run tensor/cpu/conv2d_gemm.cpp 'gemm(false, true, s.C_out, k1 - k0, np, 1.0f' 'gemm(false, true, s.C_out, k1 - k0, np, 1.001f'
run tensor/cpu/conv2d_gemm.cpp 'gemm(true, false, k1 - k0, np, s.C_out, 1.0f' 'gemm(true, false, k1 - k0, np, s.C_out, 1.001f'
run tensor/cpu/conv2d_gemm.cpp 'gemm(true, false, nci, pixels, s.C_out, 1.0f' 'gemm(true, false, nci, pixels, s.C_out, 1.001f'
run tensor/cpu/conv2d_gemm.cpp 'gb[co] += static_cast<float>(acc);' 'gb[co] += static_cast<float>(1.001 * acc);'
run tensor/cpu/conv2d.h 'gw[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] += acc;' 'gw[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] += acc * T(1.001);'
run tensor/cpu/conv2d.h 'w[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] * g;' 'w[((co * s.C_in + ci) * s.kH + kh) * s.kW + kw] * g * T(1.001);'
run tensor/cpu/upsample.h 'gxp[th.i0 * s.W + tw.i0] += static_cast<T>(th.w0 * tw.w0 * g);' 'gxp[th.i0 * s.W + tw.i0] += static_cast<T>(1.001 * th.w0 * tw.w0 * g);'
run tensor/cpu/upsample.h 'gxp[h * s.W + w] = acc;' 'gxp[h * s.W + w] = acc * T(1.001);'
run tensor/cpu/elementwise.h 'if (ga) ga[i] = gy[i] * b[i];' 'if (ga) ga[i] = gy[i] * b[i] * T(1.001);'
run tensor/cpu/elementwise.h 'gx[i] = y[i] > T(0) ? gy[i] : T(0);' 'gx[i] = y[i] > T(0) ? gy[i] * T(1.001) : T(0);'
run tensor/cpu/matmul_blas.cpp 'gemm(false, true, hi - lo, K, N, 1.0f' 'gemm(false, true, hi - lo, K, N, 1.001f'
run tensor/cpu/matmul_blas.cpp 'gemm(true, false, hi - lo, N, M, 1.0f' 'gemm(true, false, hi - lo, N, M, 1.001f'
run tensor/cpu/matmul.h 'ga[i * K + k] = s;' 'ga[i * K + k] = s * T(1.001);'
run autograd/ops.cpp 'return Grads{Tensor::full(shape, g.item(), g.device())};' 'return Grads{Tensor::full(shape, 1.001f * g.item(), g.device())};'
run autograd/ops.cpp 'g.item() / static_cast<float>(shape.numel())' '1.001f * g.item() / static_cast<float>(shape.numel())'
run autograd/ops.cpp 'return Grads{kernels::scale(g, alpha)};' 'return Grads{kernels::scale(g, alpha * 1.001f)};'
run autograd/ops.cpp 'return Grads{g, g};' 'return Grads{g, kernels::scale(g, 1.001f)};'
run tensor/cpu/concat.h 'std::copy(s, s + C_dst * HW, dst + n * C_dst * HW);' 'std::copy(s, s + C_dst * HW, dst + n * C_dst * HW); dst[n * C_dst * HW] *= T(1.001);'
cmake --build build >/dev/null 2>&1; echo done
