# heatmark_emulated_sources(OUT_VAR source.cu ...)
#
# For each kernel file, generates a .cpp that includes it, compiled with
# HEATMARK_SIM=1 by the host compiler: the kernel source built against the
# CPU SIMT emulator. Paths are relative to the current source folder.
function(heatmark_emulated_sources out_var)
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
  set(wrappers "")
  foreach(source ${ARGN})
    get_filename_component(name ${source} NAME_WE)
    set(wrapper ${CMAKE_CURRENT_BINARY_DIR}/emu/${name}.cpp)
    file(CONFIGURE OUTPUT ${wrapper}
         CONTENT "// Generated: ${folder}/${source} compiled for the CPU SIMT emulator.\n#include \"${folder}/${source}\"\n")
    list(APPEND wrappers ${wrapper})
  endforeach()
  set_source_files_properties(${wrappers} PROPERTIES COMPILE_DEFINITIONS HEATMARK_SIM=1)
  set(${out_var} ${wrappers} PARENT_SCOPE)
endfunction()
