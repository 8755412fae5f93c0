// HM_HOST_DEVICE marks small functions that both CPU code and CUDA kernels
// call (shape helpers, the Philox generator).
#pragma once

#if defined(__CUDACC__)
#define HM_HOST_DEVICE __host__ __device__
#else
#define HM_HOST_DEVICE
#endif
