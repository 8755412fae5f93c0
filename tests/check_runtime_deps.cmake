# ctest -P script: the shared libraries a binary needs at run time (ldd).
#   BINARY  the program
#   STATIC  ON for a HEATMARK_STATIC build: glibc's own libraries only
# No build may need the CUDA runtime, cuDNN, cuBLAS or oneDNN to start: the
# runtime is linked statically and the vendor libraries are loaded only when
# used.
execute_process(COMMAND ldd "${BINARY}" OUTPUT_VARIABLE deps RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "ldd ${BINARY} failed (${status})")
endif()
message("${BINARY} needs:\n${deps}")
string(REGEX MATCHALL "[^\n\t ]+\\.so[^\n\t ]*" libraries "${deps}")
foreach(library IN LISTS libraries)
  get_filename_component(name "${library}" NAME)
  if(name MATCHES "^lib(cudart|cudnn|cublas|cublasLt|cuda|dnnl)\\.")
    message(FATAL_ERROR "${BINARY} links ${name} at load time")
  endif()
  if(STATIC AND NOT name MATCHES "^(linux-vdso|libc|libm|libdl|libpthread|librt|ld-linux-x86-64|ld-linux-aarch64)\\.so")
    message(FATAL_ERROR "static build: ${BINARY} still needs ${name}")
  endif()
endforeach()
