# ptxas_report.cmake: compiler launcher for the CUDA sources of libxent_cuda. Runs the nvcc command
# line it is given, shows its output as usual (the -Xptxas -v report included) and also keeps
# that output in REPORT, one section per object file, so the register / spill / shared memory
# report of the last build can be read afterwards.
#
#   cmake -DREPORT=<file> -P ptxas_report.cmake -- <nvcc> <args...>
#
# Arguments after the script name arrive as CMAKE_ARGV<n>; the `--` keeps cmake itself from
# reading the compiler's -D options as its own.
set(cmd)
set(after_script OFF)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
  if(after_script)
    if(NOT cmd AND CMAKE_ARGV${i} STREQUAL "--")
      continue()
    endif()
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} MATCHES "ptxas_report\\.cmake$")
    set(after_script ON)
  endif()
endforeach()
if(NOT cmd)
  message(FATAL_ERROR "ptxas_report.cmake: no command given")
endif()

# The object being built names the report section.
set(object "")
list(FIND cmd "-o" out_index)
if(out_index GREATER -1)
  math(EXPR obj_index "${out_index} + 1")
  list(GET cmd ${obj_index} object)
endif()

execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(out)
  execute_process(COMMAND ${CMAKE_COMMAND} -E echo_append "${out}")
endif()
if(err)
  message(NOTICE "${err}")
endif()

if(REPORT)
  get_filename_component(dir "${REPORT}" DIRECTORY)
  get_filename_component(name "${object}" NAME)
  set(section "${dir}/ptxas/${name}.txt")
  file(WRITE "${section}" "==== ${object}\n${out}${err}")
  # The report is every section of the current build, rebuilt after each CUDA compile.
  file(GLOB sections "${dir}/ptxas/*.txt")
  list(SORT sections)
  set(all "")
  foreach(s IN LISTS sections)
    file(READ "${s}" text)
    string(APPEND all "${text}\n")
  endforeach()
  file(WRITE "${REPORT}" "${all}")
endif()

if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvcc failed (${rc})")
endif()
