# Runs a command for heatmark_add_output_test (HeatmarkTests.cmake): the test
# passes when the exit status is EXPECTED_EXIT and the output (stdout and
# stderr together) matches the expression in REGEX_FILE.
#   cmake -DREGEX_FILE=f -DEXPECTED_EXIT=0 -P expect_output.cmake -- program args...
set(command "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "expect_output: no command after --")
endif()
file(READ "${REGEX_FILE}" regex)

execute_process(COMMAND ${command} OUTPUT_VARIABLE output ERROR_VARIABLE output RESULT_VARIABLE status)
message("${output}")
if(NOT "${status}" STREQUAL "${EXPECTED_EXIT}")
  message(FATAL_ERROR "expect_output: exit status ${status}, expected ${EXPECTED_EXIT}")
endif()
if(NOT output MATCHES "${regex}")
  message(FATAL_ERROR "expect_output: the output does not match: ${regex}")
endif()
message("expect_output: exit status ${status} and the output matches, as expected")
