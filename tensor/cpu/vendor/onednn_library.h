// Internal to tensor/cpu/vendor: the oneDNN C API functions heatmark uses,
// resolved by name from the library loaded at run time, the CPU engine, and
// the error check the ops share. The library is never linked: each function
// is a pointer of the header's own type (decltype(&dnnl_...)).
#pragma once

#include <dnnl.h>
#include <dnnl_debug.h>
#include <omp.h>

#include <memory>

#include "base/dynamic_library.h"

namespace heatmark::onednn {

#define HM_ONEDNN_FUNCTIONS(X)                    \
  X(dnnl_status2str)                              \
  X(dnnl_engine_create)                           \
  X(dnnl_stream_create)                           \
  X(dnnl_stream_wait)                             \
  X(dnnl_stream_destroy)                          \
  X(dnnl_memory_desc_init_by_tag)                 \
  X(dnnl_memory_desc_equal)                       \
  X(dnnl_memory_desc_get_size)                    \
  X(dnnl_memory_create)                           \
  X(dnnl_memory_destroy)                          \
  X(dnnl_primitive_attr_create)                   \
  X(dnnl_primitive_attr_destroy)                  \
  X(dnnl_primitive_attr_set_scratchpad_mode)      \
  X(dnnl_primitive_attr_set_post_ops)             \
  X(dnnl_post_ops_create)                         \
  X(dnnl_post_ops_destroy)                        \
  X(dnnl_post_ops_append_sum)                     \
  X(dnnl_convolution_forward_desc_init)           \
  X(dnnl_convolution_backward_data_desc_init)     \
  X(dnnl_convolution_backward_weights_desc_init)  \
  X(dnnl_reorder_primitive_desc_create)           \
  X(dnnl_primitive_desc_create)                   \
  X(dnnl_primitive_desc_query_md)                 \
  X(dnnl_primitive_desc_destroy)                  \
  X(dnnl_primitive_create)                        \
  X(dnnl_primitive_execute)                       \
  X(dnnl_primitive_destroy)

struct Api {
  Api();  // loads the library and resolves every function, or throws naming what is missing

  std::unique_ptr<DynamicLibrary> library;
  decltype(&::dnnl_version) dnnl_version = nullptr;
#define HM_ONEDNN_MEMBER(name) decltype(&::name) name = nullptr;
  HM_ONEDNN_FUNCTIONS(HM_ONEDNN_MEMBER)
#undef HM_ONEDNN_MEMBER
  // omp_set_num_threads of the OpenMP runtime oneDNN runs its parallel
  // regions on; null when it was built for another threading runtime.
  decltype(&::omp_set_num_threads) set_runtime_threads = nullptr;
  dnnl_engine_t engine = nullptr;  // the CPU
};

// The library, loaded on first use; throws heatmark::Error when it cannot be.
const Api& api();

// Throws heatmark::Error naming the call and oneDNN's status.
void check(dnnl_status_t status, const char* what);
#define HM_DNNL(call) ::heatmark::onednn::check(::heatmark::onednn::api().call, #call)

// Gives oneDNN's OpenMP runtime heatmark's thread count (--threads). Called
// before a primitive is created (oneDNN splits the work by the thread count
// then) and before each run of one.
void use_heatmark_threads();

}  // namespace heatmark::onednn
