# Decides whether the CUDA parts are built (HEATMARK_CUDA = AUTO | ON | OFF) and
# sets HEATMARK_HAS_CUDA accordingly. AUTO builds them when nvcc is found, on
# PATH or in the standard toolkit location, and says which way it went.

string(TOUPPER "${HEATMARK_CUDA}" HEATMARK_CUDA)
set(HEATMARK_HAS_CUDA OFF)

if(NOT HEATMARK_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
    find_program(HEATMARK_NVCC nvcc HINTS ENV CUDA_PATH PATH_SUFFIXES bin
                 PATHS /usr/local/cuda/bin)
    if(HEATMARK_NVCC)
      set(CMAKE_CUDA_COMPILER "${HEATMARK_NVCC}" CACHE FILEPATH "CUDA compiler")
    endif()
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # Real GPUs we build for: sm_86 (RTX 30xx) and sm_90 (H100/H200). Override
    # with -DCMAKE_CUDA_ARCHITECTURES="80;89" and the like.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "86;90" CACHE STRING "CUDA architectures to build for")
    endif()
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)  # CMake 3.25 knows no C++20 flag for nvcc; kernels need only C++17
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(HEATMARK_HAS_CUDA ON)
  elseif(HEATMARK_CUDA STREQUAL "ON")
    message(FATAL_ERROR "HEATMARK_CUDA=ON but no CUDA compiler (nvcc) was found. "
                        "Install the CUDA toolkit, put nvcc on PATH, or configure with -DHEATMARK_CUDA=AUTO.")
  endif()
endif()

if(HEATMARK_HAS_CUDA)
  message(STATUS "heatmark: building WITH CUDA ${CUDAToolkit_VERSION} for architectures ${CMAKE_CUDA_ARCHITECTURES}")
else()
  message(STATUS "heatmark: building CPU-only (HEATMARK_CUDA=${HEATMARK_CUDA}; "
                 "no nvcc found or CUDA switched off). GPU kernels will not be available.")
endif()
