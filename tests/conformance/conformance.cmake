# Spin's conformance suite (fermyon/conformance-tests) against `lepton up`: the test folders
# tests/conformance/<test>/ (spin.toml + test.json5 as upstream), the guests written for lepton
# in C (tests/conformance/components/*.c), and the runner test_conformance (one gtest per enabled
# folder: `ctest -R conformance`). docs/conformance.md explains the layout.

# The tests that run: all 19 of Spin's conformance suite.
set(LEPTON_CONFORMANCE_TESTS
  request-shape
  key-value
  key-value-no-permission
  variables
  outbound-redis
  outbound-redis-no-permission
  outbound-redis-variable-permission
  outbound-wasi-http-v0.2.0
  outbound-wasi-http-v0.2.0-no-perms
  tcp-sockets
  tcp-sockets-ip-range
  tcp-sockets-ip-range-variable-permission
  tcp-sockets-no-ip-permission
  tcp-sockets-no-port-permission
  outbound-mqtt
  outbound-mqtt-no-permission
  sqlite
  sqlite-no-permission
  postgres)


# Guests: <component name as in %{source=...}>|<world in components/conformance.wit>|<C file>.
set(LEPTON_CONFORMANCE_GUESTS
  "request-shape|request-shape|request_shape"
  "key-value|key-value|key_value"
  "variables|variables|variables"
  "outbound-redis|outbound-redis|outbound_redis"
  "outbound-wasi-http-v0.2.0|outbound-wasi-http|outbound_wasi_http"
  "tcp-sockets|tcp-sockets|tcp_sockets"
  "outbound-mqtt|outbound-mqtt|outbound_mqtt"
  "sqlite|sqlite|sqlite"
  "postgres|postgres|postgres")

set(LEPTON_CONFORMANCE_GUEST_DIR ${CMAKE_BINARY_DIR}/conformance-guests)
set(_cf_src ${CMAKE_CURRENT_LIST_DIR}/components)
set(_cf_work ${CMAKE_CURRENT_BINARY_DIR}/conformance-work)
set(_cf_wit ${_cf_work}/wit)
set(_cf_adapter
  ${PROJECT_SOURCE_DIR}/tests/guests/js/node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.reactor.wasm)
set(_cf_stub ${PROJECT_SOURCE_DIR}/tests/guests/components/embed_stub.c)
file(MAKE_DIRECTORY ${LEPTON_CONFORMANCE_GUEST_DIR} ${_cf_work})

# The guests import the interface versions the upstream Rust guests import (wasi:http@0.2.0,
# wasi:sockets@0.2.0, fermyon:spin@2.0.0, spin:postgres@4.0.0). Their WIT comes from the Spin
# Python SDK's package (spin_sdk/wit, installed by scripts/setup-guest-toolchains.sh), staged at
# build time beside our worlds (components/conformance.wit): its top-level files form the
# fermyon:spin@2.0.0 package directory, its deps/ the wasi and spin packages.
file(GLOB _cf_sdk_wit LIST_DIRECTORIES true ${LEPTON_PY_VENV}/lib/python3*/site-packages/spin_sdk/wit)
set(_cf_missing)
if(NOT WASM_TOOLS)
  list(APPEND _cf_missing "wasm-tools not found")
endif()
if(NOT WIT_BINDGEN)
  list(APPEND _cf_missing "wit-bindgen not found")
endif()
if(NOT EXISTS ${_cf_adapter})
  list(APPEND _cf_missing "the WASI p1 reactor adapter (npm @bytecodealliance/jco) is not in tests/guests/js/node_modules")
endif()
if(NOT _cf_sdk_wit)
  list(APPEND _cf_missing "the Spin Python SDK's WIT (spin_sdk/wit) is not in the venv ${LEPTON_PY_VENV}")
endif()

add_custom_target(lepton_conformance_guests)
if(_cf_missing)
  list(JOIN _cf_missing "; " _cf_reason)
  set(_cf_reason "conformance guests not built: ${_cf_reason} (run scripts/setup-guest-toolchains.sh)")
  if(LEPTON_REQUIRE_GUEST_TOOLCHAINS)
    message(FATAL_ERROR "${_cf_reason}")
  endif()
  message(STATUS "${_cf_reason}")
  foreach(entry ${LEPTON_CONFORMANCE_GUESTS})
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 0 name)
    file(WRITE ${LEPTON_CONFORMANCE_GUEST_DIR}/${name}.skip "${_cf_reason}\n")
  endforeach()
else()
  list(GET _cf_sdk_wit 0 _cf_sdk_wit)
  file(GLOB _cf_sdk_top ${_cf_sdk_wit}/*.wit)
  file(GLOB_RECURSE _cf_sdk_deps ${_cf_sdk_wit}/deps/*.wit)
  set(_cf_stamp ${_cf_wit}/conformance.wit)
  add_custom_command(OUTPUT ${_cf_stamp}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${_cf_wit}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_cf_wit}/deps/fermyon-spin
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${_cf_sdk_wit}/deps ${_cf_wit}/deps
    COMMAND ${CMAKE_COMMAND} -E copy ${_cf_sdk_top} ${_cf_wit}/deps/fermyon-spin/
    COMMAND ${CMAKE_COMMAND} -E copy ${_cf_src}/conformance.wit ${_cf_stamp}
    DEPENDS ${_cf_src}/conformance.wit ${_cf_sdk_top} ${_cf_sdk_deps}
    COMMENT "Staging conformance guest WIT"
    VERBATIM)

  foreach(entry ${LEPTON_CONFORMANCE_GUESTS})
    string(REPLACE "|" ";" entry "${entry}")
    list(GET entry 0 name)
    list(GET entry 1 world)
    list(GET entry 2 cfile)
    file(REMOVE ${LEPTON_CONFORMANCE_GUEST_DIR}/${name}.skip)
    string(REPLACE "-" "_" cworld ${world})
    set(bdir ${_cf_work}/bindings/${world})
    set(core ${_cf_work}/${name}.core.wasm)
    set(embedded ${_cf_work}/${name}.embedded.wasm)
    set(out ${LEPTON_CONFORMANCE_GUEST_DIR}/${name}.wasm)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${bdir}
      COMMAND ${WIT_BINDGEN} c ${_cf_wit} --world ${world} --no-object-file --out-dir ${bdir}
      COMMAND ${WASM_CC} --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Werror
              -Wl,--strip-debug -DLEPTON_WIT_WORLD=${cworld} -I${bdir} -I${_cf_src}
              ${_cf_src}/${cfile}.c ${_cf_stub} ${bdir}/${cworld}.c -o ${core}
      COMMAND ${WASM_TOOLS} component embed ${_cf_wit} --world ${world} ${core} -o ${embedded}
      COMMAND ${WASM_TOOLS} component new ${embedded}
              --adapt wasi_snapshot_preview1=${_cf_adapter} -o ${out}
      DEPENDS ${_cf_stamp} ${_cf_src}/${cfile}.c ${_cf_src}/conformance_util.h ${_cf_stub}
              ${_cf_adapter}
      COMMENT "Building conformance guest ${name}.wasm (world ${world})"
      VERBATIM)
    add_custom_target(conformance_guest_${name} DEPENDS ${out})
    add_dependencies(lepton_conformance_guests conformance_guest_${name})
  endforeach()
endif()

lepton_test_dir(conformance lepton_test_process lepton_test_support nlohmann_json::nlohmann_json)
if(TARGET test_conformance)
  list(JOIN LEPTON_CONFORMANCE_TESTS "," _cf_tests)
  target_compile_definitions(test_conformance PRIVATE
    LEPTON_CONFORMANCE_DIR="${CMAKE_CURRENT_LIST_DIR}"
    LEPTON_CONFORMANCE_GUEST_DIR="${LEPTON_CONFORMANCE_GUEST_DIR}"
    LEPTON_CONFORMANCE_TESTS="${_cf_tests}")
  add_dependencies(test_conformance lepton lepton_conformance_guests)
endif()
