# Component test inputs are built from source during the test build; no .wasm is ever committed.
#   tests/component/data/*.wat  --wasm-tools parse-->  ${LEPTON_COMPONENT_FIXTURES}/<name>.wasm
#   tests/component/data/reactor.c + reactor.wit  --clang-19, wasm-tools component embed/new-->
#     ${LEPTON_COMPONENT_FIXTURES}/reactor.component.wasm  (needs the WASI p1 reactor adapter from
#     the npm package @bytecodealliance/jco that scripts/setup-guest-toolchains.sh installs in
#     tests/guests/js; without it the file
#     is simply not produced and the test that reads it skips)
# wasm-tools is pinned and installed by scripts/setup.sh.
find_program(WASM_TOOLS NAMES wasm-tools HINTS $ENV{HOME}/.cargo/bin)
if(NOT WASM_TOOLS)
  message(FATAL_ERROR "wasm-tools not found (component test fixtures need it): run scripts/setup.sh")
endif()
find_program(NPM NAMES npm)
find_program(WASM_CC NAMES clang-19 REQUIRED)

set(LEPTON_COMPONENT_FIXTURES ${CMAKE_BINARY_DIR}/component-fixtures CACHE INTERNAL "")
set(LEPTON_JCO_VERSION 1.35.0)

# lepton_component_fixtures(<test target> <data dir>): builds the fixtures before the target and
# tells it where they are (LEPTON_COMPONENT_FIXTURES).
function(lepton_component_fixtures target data)
  set(out ${LEPTON_COMPONENT_FIXTURES})
  set(outputs)
  file(GLOB wats CONFIGURE_DEPENDS ${data}/*.wat)
  foreach(wat ${wats})
    get_filename_component(name ${wat} NAME_WE)
    add_custom_command(OUTPUT ${out}/${name}.wasm
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
      COMMAND ${WASM_TOOLS} parse ${wat} -o ${out}/${name}.wasm
      DEPENDS ${wat}
      COMMENT "wasm-tools parse ${name}.wat"
      VERBATIM)
    list(APPEND outputs ${out}/${name}.wasm)
  endforeach()

  if(EXISTS ${data}/reactor.c)
    add_custom_command(OUTPUT ${out}/reactor.core.wasm ${out}/reactor.embedded.wasm
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
      COMMAND ${WASM_CC} --target=wasm32-wasi -O2 -Wall -Werror -mexec-model=reactor
              ${data}/reactor.c -o ${out}/reactor.core.wasm
      COMMAND ${WASM_TOOLS} component embed ${data}/reactor.wit ${out}/reactor.core.wasm
              -o ${out}/reactor.embedded.wasm
      DEPENDS ${data}/reactor.c ${data}/reactor.wit
      COMMENT "Building reactor.c and embedding its WIT world"
      VERBATIM)
    list(APPEND outputs ${out}/reactor.embedded.wasm)
    add_custom_command(OUTPUT ${out}/reactor.stamp
      COMMAND ${CMAKE_COMMAND} -DNPM=${NPM} -DWASM_TOOLS=${WASM_TOOLS}
              -DJCO_VERSION=${LEPTON_JCO_VERSION} -DNPM_PREFIX=${PROJECT_SOURCE_DIR}/tests/guests/js
              -DINPUT=${out}/reactor.embedded.wasm -DOUTPUT=${out}/reactor.component.wasm
              -DSTAMP=${out}/reactor.stamp
              -P ${PROJECT_SOURCE_DIR}/cmake/ComponentizeWithAdapter.cmake
      DEPENDS ${out}/reactor.embedded.wasm ${PROJECT_SOURCE_DIR}/cmake/ComponentizeWithAdapter.cmake
      COMMENT "wasm-tools component new reactor (WASI p1 reactor adapter from jco)"
      VERBATIM)
    list(APPEND outputs ${out}/reactor.stamp)
  endif()

  add_custom_target(${target}_fixtures DEPENDS ${outputs})
  add_dependencies(${target} ${target}_fixtures)
  target_compile_definitions(${target} PRIVATE LEPTON_COMPONENT_FIXTURES="${out}")
endfunction()
