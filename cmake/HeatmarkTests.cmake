# Test helpers shared by every folder that adds ctest tests.
#
# ctest's PASS_REGULAR_EXPRESSION ignores the exit status, so a command that
# prints the expected line and then crashes would pass; WILL_FAIL passes on a
# crash as well as on a clean refusal. Tests that judge a command by its
# output go through heatmark_add_output_test instead, which checks both, and
# heatmark_check_test_properties() refuses the two properties at configure
# time so that they cannot come back unnoticed.

set(HEATMARK_EXPECT_OUTPUT_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/expect_output.cmake)

# heatmark_add_output_test(NAME name EXPECT regex [EXIT status] COMMAND program args...)
# Passes when the command exits with EXIT (default 0) and its stdout + stderr
# match the regular expression (CMake syntax; "." also matches a newline).
function(heatmark_add_output_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;EXPECT;EXIT" "COMMAND")
  if(NOT arg_NAME OR NOT arg_COMMAND OR "${arg_EXPECT}" STREQUAL "")
    message(FATAL_ERROR "heatmark_add_output_test: NAME, EXPECT and COMMAND are required")
  endif()
  if("${arg_EXIT}" STREQUAL "")
    set(arg_EXIT 0)
  endif()
  # The expression travels in a file: no quoting layer of add_test can bend it.
  set(regex_file ${CMAKE_CURRENT_BINARY_DIR}/expected_output/${arg_NAME}.regex)
  file(WRITE ${regex_file} "${arg_EXPECT}")
  add_test(NAME ${arg_NAME}
           COMMAND ${CMAKE_COMMAND} -DREGEX_FILE=${regex_file} -DEXPECTED_EXIT=${arg_EXIT}
                   -P ${HEATMARK_EXPECT_OUTPUT_SCRIPT} -- ${arg_COMMAND})
endfunction()

# Fails the configuration when a test in this folder or below sets a
# property that judges output without the exit status.
function(heatmark_check_test_properties dir)
  get_property(tests DIRECTORY ${dir} PROPERTY TESTS)
  foreach(test IN LISTS tests)
    foreach(property PASS_REGULAR_EXPRESSION WILL_FAIL)
      get_test_property(${test} ${property} value)
      if(value)
        message(FATAL_ERROR "test ${test} (in ${dir}) sets ${property}: use heatmark_add_output_test, "
                            "which checks the exit status too")
      endif()
    endforeach()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    heatmark_check_test_properties(${subdir})
  endforeach()
endfunction()
