# heatmark_kernel_wrappers(OUT_VAR FOLDER WHAT source.cu ...)
#
# For each kernel file, generates FOLDER/<name>.cpp in the binary folder that
# includes it, so that the host compiler can build it with its own flags.
# Paths are relative to the current source folder.
function(heatmark_kernel_wrappers out_var wrapper_folder what)
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(wrappers "")
  foreach(source ${ARGN})
    get_filename_component(name ${source} NAME_WE)
    set(wrapper ${CMAKE_CURRENT_BINARY_DIR}/${wrapper_folder}/${name}.cpp)
    file(CONFIGURE OUTPUT ${wrapper}
         CONTENT "// Generated: ${folder}/${source} compiled for ${what}.\n#include \"${folder}/${source}\"\n")
    list(APPEND wrappers ${wrapper})
  endforeach()
  set(${out_var} ${wrappers} PARENT_SCOPE)
endfunction()

# heatmark_emulated_sources(OUT_VAR source.cu ...)
#
# The kernel files compiled with HEATMARK_SIM=1 by the host compiler: the
# kernel source built against the CPU SIMT emulator.
function(heatmark_emulated_sources out_var)
  heatmark_kernel_wrappers(wrappers emu "the CPU SIMT emulator" ${ARGN})
  set_source_files_properties(${wrappers} PROPERTIES COMPILE_DEFINITIONS HEATMARK_SIM=1)
  set(${out_var} ${wrappers} PARENT_SCOPE)
endfunction()

# The memory model (cuda/sim/memory_model.h): a third compilation of the
# kernel files for the emulator, with GCC's outline address instrumentation,
# and GCC's libbacktrace to read source lines. AUTO: on with GCC when no
# sanitizer build is asked for (ASan's own runtime defines the same callbacks).
set(HEATMARK_MEMORY_MODEL "AUTO" CACHE STRING "Build the emulator's memory-traffic model: AUTO, ON or OFF")
set_property(CACHE HEATMARK_MEMORY_MODEL PROPERTY STRINGS AUTO ON OFF)
set(HEATMARK_HAS_MEMORY_MODEL OFF)
if(NOT HEATMARK_MEMORY_MODEL STREQUAL "OFF")
  set(why_not "")
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(why_not "it needs GCC's instrumentation (the compiler is ${CMAKE_CXX_COMPILER_ID})")
  elseif(HEATMARK_SANITIZE OR HEATMARK_TSAN OR HEATMARK_FUZZ)
    set(why_not "a sanitizer build instruments the same accesses for itself")
  else()
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libbacktrace.a
                    OUTPUT_VARIABLE HEATMARK_BACKTRACE_LIBRARY OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=include
                    OUTPUT_VARIABLE HEATMARK_BACKTRACE_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT IS_ABSOLUTE "${HEATMARK_BACKTRACE_LIBRARY}" OR NOT EXISTS "${HEATMARK_BACKTRACE_INCLUDE}/backtrace.h")
      set(why_not "GCC's libbacktrace (libbacktrace.a, backtrace.h) was not found")
    endif()
  endif()
  if(why_not STREQUAL "")
    set(HEATMARK_HAS_MEMORY_MODEL ON)
    message(STATUS "heatmark: the emulator's memory model is built (bench ops --device emu --memory)")
  elseif(HEATMARK_MEMORY_MODEL STREQUAL "ON")
    message(FATAL_ERROR "HEATMARK_MEMORY_MODEL=ON: ${why_not}")
  else()
    message(STATUS "heatmark: the emulator's memory model is not built: ${why_not}")
  endif()
endif()

# heatmark_traced_sources(OUT_VAR source.cu ...)
#
# Like heatmark_emulated_sources, with HEATMARK_SIM_TRACED=1 (the kernels land
# in heatmark::emu_traced) and a call to the memory model on every load and
# store: -fsanitize=kernel-address emits the calls without the ASan runtime,
# the call threshold 0 makes every check a call, and the stack and globals
# are left alone. -g1 gives the line tables that name each access's line.
function(heatmark_traced_sources out_var)
  heatmark_kernel_wrappers(wrappers emu_traced "the CPU SIMT emulator's memory model" ${ARGN})
  set_source_files_properties(${wrappers} PROPERTIES COMPILE_DEFINITIONS "HEATMARK_SIM=1;HEATMARK_SIM_TRACED=1"
    COMPILE_OPTIONS "-fsanitize=kernel-address;-fsanitize-recover=kernel-address;--param=asan-instrumentation-with-call-threshold=0;--param=asan-stack=0;--param=asan-globals=0;-fno-sanitize-address-use-after-scope;-g1;-fdebug-prefix-map=${PROJECT_SOURCE_DIR}/=")
  set(${out_var} ${wrappers} PARENT_SCOPE)
endfunction()
