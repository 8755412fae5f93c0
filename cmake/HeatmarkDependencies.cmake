# The libraries heatmark links, as two interface targets: heatmark_fmt and
# heatmark_openmp (zlib is found in the top CMakeLists.txt,
# static when HEATMARK_STATIC is on). By default they are Debian's shared
# libraries. With HEATMARK_STATIC=ON they are static archives, together with
# the C++ runtime, so the heatmark binary needs only glibc at run time (and,
# for the GPU, the NVIDIA driver; the CUDA runtime is always linked
# statically, and cuDNN/cuBLAS are loaded only when the vendor kernels run).

add_library(heatmark_fmt INTERFACE)
add_library(heatmark_openmp INTERFACE)

if(NOT HEATMARK_STATIC)
  target_link_libraries(heatmark_fmt INTERFACE fmt::fmt)
  target_link_libraries(heatmark_openmp INTERFACE OpenMP::OpenMP_CXX)
  return()
endif()

if(HEATMARK_SANITIZE)
  message(FATAL_ERROR "HEATMARK_STATIC and HEATMARK_SANITIZE cannot be combined (the sanitizer runtimes are shared)")
endif()

# The archive shipped with the compiler, by file name (libgomp.a, ...).
function(heatmark_compiler_archive var name)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${name} OUTPUT_VARIABLE path
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT IS_ABSOLUTE "${path}" OR NOT EXISTS "${path}")
    message(FATAL_ERROR "HEATMARK_STATIC: the compiler has no ${name} (install the gcc development packages)")
  endif()
  set(${var} "${path}" PARENT_SCOPE)
endfunction()

find_package(Threads REQUIRED)
heatmark_compiler_archive(HEATMARK_GOMP_A libgomp.a)

# fmt from its headers (Debian ships no libfmt.a).
target_link_libraries(heatmark_fmt INTERFACE fmt::fmt-header-only)
# OpenMP: compile with -fopenmp, but link libgomp.a instead of the driver's -lgomp.
target_compile_options(heatmark_openmp INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-fopenmp>)
target_link_libraries(heatmark_openmp INTERFACE ${HEATMARK_GOMP_A} Threads::Threads ${CMAKE_DL_LIBS})
# oneDNN (--kernels vendor on the CPU) is loaded at run time, and libdnnl.so
# calls these libgomp functions. The heatmark program exports its symbols
# (ENABLE_EXPORTS), so the calls bind to this static libgomp, one OpenMP
# runtime for everything, provided the program holds every one of them: pull
# in those heatmark itself never calls. Missing one (GOMP_barrier) would bind
# it to the libgomp.so.1 libdnnl.so brings, where a barrier of another
# runtime's team does nothing (tensor/cpu/vendor/onednn_library.cpp refuses that).
foreach(function GOMP_parallel GOMP_barrier omp_get_max_threads omp_get_num_threads omp_get_thread_num omp_in_parallel
                 omp_set_num_threads)
  target_link_options(heatmark_openmp INTERFACE "LINKER:-u,${function}")
endforeach()
add_link_options(-static-libstdc++ -static-libgcc)
message(STATUS "heatmark: static build (C++ runtime, OpenMP, fmt linked in)")
