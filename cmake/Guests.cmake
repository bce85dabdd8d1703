# Test and example guests are built from C source with clang-19 --target=wasm32-wasi during the
# build; no prebuilt .wasm is ever committed.
find_program(WASM_CC NAMES clang-19 REQUIRED)

# lepton_add_guest(<name> SOURCES a.c [b.c] [REACTOR] [EXPORTS sym...] [FLAGS ...])
# Produces ${LEPTON_GUEST_DIR}/<name>.wasm and a target guest_<name>.
set(LEPTON_GUEST_DIR ${CMAKE_BINARY_DIR}/guests CACHE INTERNAL "")
function(lepton_add_guest name)
  cmake_parse_arguments(G "REACTOR" "" "SOURCES;EXPORTS;FLAGS" ${ARGN})
  set(out ${LEPTON_GUEST_DIR}/${name}.wasm)
  set(srcs)
  foreach(s ${G_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  set(flags --target=wasm32-wasi -O2 -Wall -Werror ${G_FLAGS})
  if(G_REACTOR)
    list(APPEND flags -mexec-model=reactor)
  endif()
  foreach(e ${G_EXPORTS})
    list(APPEND flags -Wl,--export=${e})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${LEPTON_GUEST_DIR}
    COMMAND ${WASM_CC} ${flags} ${srcs} -o ${out}
    DEPENDS ${srcs}
    COMMENT "Building guest ${name}.wasm"
    VERBATIM)
  add_custom_target(guest_${name} ALL DEPENDS ${out})
  if(TARGET lepton_guests)
    add_dependencies(lepton_guests guest_${name})
  endif()
endfunction()
