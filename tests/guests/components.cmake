# WASI 0.2 / wasi:http component guests, built from source by the official toolchains during the
# test build (docs/guest-toolchains.md). Outputs go to ${LEPTON_COMPONENT_GUEST_DIR}/<name>.wasm:
#
#   hello      C, wit-bindgen  wasi:http handler: 200 "Hello from a C component", text/plain
#   echo       C, wit-bindgen  wasi:http handler: streams the request body back
#   outbound   C, wit-bindgen  wasi:http handler: GET ?url=<url> via wasi:http/outgoing-handler,
#                              answers "status <n>" (or 502 "error: ...")
#   stdio      C, wit-bindgen  wasi:http handler: prints to stdout/stderr (wasi-libc stdio), answers
#                              200 "GREETING=<$GREETING>"
#   resources  C, wit-bindgen  exports lepton:guests/counters (a guest resource, many handles)
#   all-types  C, wit-bindgen  exports lepton:guests/types (every component value type)
#   greeter    C, wit-bindgen  exports lepton:guests/greeter (greet, a tally resource)
#   greeted    C, wit-bindgen  wasi:http handler importing lepton:guests/greeter: GET /<name>
#                              answers "Hello, <name>! (tally 3*len(name))"
#   redis      C, wit-bindgen  wasi:http handler using fermyon:spin/redis@2.0.0: ?op=&addr=&key=...
#                              (tests/guests/components/redis.c)
#   redis-trigger C, wit-bindgen  Redis trigger handler (fermyon:spin/inbound-redis@2.0.0): RPUSHes
#                              each message to $LOG_KEY on $REDIS_ADDRESS; "trap" traps, "fail"
#                              returns an error, "loop" never returns (redis_trigger.c)
#   greeted-composed           greeted with greeter plugged in (wasm-tools compose): one
#                              component whose two nested components call each other
#   kv         C, wit-bindgen  wasi:http handler over fermyon:spin/key-value@2.0.0 (kv.c has the
#                              path scheme: /<label>/get|set|delete|exists/<key>, /<label>/keys)
#   kv-wasi    C, wit-bindgen  wasi:http handler over wasi:keyvalue@0.2.0-draft2: GET /<bucket>
#                              runs a store/atomics/batch scenario, answers its transcript
#   postgres   C, wit-bindgen  wasi:http handler using spin:postgres/postgres@4.0.0:
#                              ?op=query|execute|pids&addr=&sql=&p=<kind>:<value>... (postgres.c)
#   postgres3  C, wit-bindgen  the same over spin:postgres/postgres@3.0.0 (postgres3.c)
#   postgres2  C, wit-bindgen  the same over fermyon:spin/postgres@2.0.0 (postgres2.c)
#   llm        C, wit-bindgen  wasi:http handler over fermyon:spin/llm@2.0.0 (llm.c has the paths)
#   js-hello   Spin JS SDK v3 (j2w / componentize-js): 200 "Hello from JS"
#   py-hello   Spin Python SDK (componentize-py): 200 "Hello from Python"
#
# Each C guest also leaves <name>.core.wasm there: its core module with the component-type custom
# section (wit-bindgen's output before `wasm-tools component new`), which lepton adapts at load.
#
# The toolchains are installed by scripts/setup-guest-toolchains.sh. A guest whose toolchain is
# missing is not built: configuring prints why and writes the reason to
# ${LEPTON_COMPONENT_GUEST_DIR}/<name>.skip, which tests read for GTEST_SKIP. With
# LEPTON_REQUIRE_GUEST_TOOLCHAINS=ON (the default when $CI is set) a missing toolchain is an error.
# Each guest also gets a ctest `guest_component.<name>` (wasm-tools validate + expected world).

if(DEFINED ENV{CI} AND "$ENV{CI}")
  set(_lepton_require_default ON)
else()
  set(_lepton_require_default OFF)
endif()
option(LEPTON_REQUIRE_GUEST_TOOLCHAINS
  "Fail configuration when a component guest's toolchain is missing" ${_lepton_require_default})

set(LEPTON_COMPONENT_GUEST_DIR ${LEPTON_GUEST_DIR}/components CACHE INTERNAL "")
if(DEFINED ENV{LEPTON_PY_VENV})
  set(_lepton_py_venv_default $ENV{LEPTON_PY_VENV})
else()
  set(_lepton_py_venv_default $ENV{HOME}/.cache/lepton/py-venv)
endif()
set(LEPTON_PY_VENV ${_lepton_py_venv_default} CACHE PATH
  "Python venv holding componentize-py and spin-sdk (scripts/setup-guest-toolchains.sh)")

find_program(WASM_TOOLS NAMES wasm-tools HINTS $ENV{HOME}/.cargo/bin)
find_program(WIT_BINDGEN NAMES wit-bindgen HINTS $ENV{HOME}/.cargo/bin)
find_program(NODE NAMES node nodejs)

set(_cg_src ${CMAKE_CURRENT_LIST_DIR}/components)
set(_cg_js ${CMAKE_CURRENT_LIST_DIR}/js)
set(_cg_py ${CMAKE_CURRENT_LIST_DIR}/py)
set(_cg_out ${LEPTON_COMPONENT_GUEST_DIR})
set(_cg_work ${CMAKE_CURRENT_BINARY_DIR}/components)
file(MAKE_DIRECTORY ${_cg_work})  # every guest step works in it, whichever runs first
set(_cg_nm ${_cg_js}/node_modules)
set(_cg_adapter ${_cg_nm}/@bytecodealliance/jco/lib/wasi_snapshot_preview1.reactor.wasm)
set(_cg_http_wit ${_cg_nm}/@spinframework/wasi-http-proxy/wit/wasi-http@0.2.3.wit)
set(_cg_npm_lock ${_cg_nm}/.package-lock.json) # rewritten by every npm ci / npm install
set(_cg_j2w ${_cg_nm}/@spinframework/build-tools/dist/index.js)
set(_cg_cpy ${LEPTON_PY_VENV}/bin/componentize-py)
file(MAKE_DIRECTORY ${_cg_out})

add_custom_target(lepton_component_guests)
add_dependencies(lepton_guests lepton_component_guests)

# Which toolchain pieces are missing, as sentences for the .skip files.
set(_cg_missing_c)
if(NOT WASM_TOOLS)
  list(APPEND _cg_missing_c "wasm-tools not found")
endif()
if(NOT WIT_BINDGEN)
  list(APPEND _cg_missing_c "wit-bindgen not found")
endif()
if(NOT EXISTS ${_cg_adapter})
  list(APPEND _cg_missing_c "the WASI p1 reactor adapter (npm @bytecodealliance/jco) is not in tests/guests/js/node_modules")
endif()
if(NOT EXISTS ${_cg_http_wit})
  list(APPEND _cg_missing_c "wasi:http 0.2.3 WIT (npm @spinframework/wasi-http-proxy) is not in tests/guests/js/node_modules")
endif()
set(_cg_missing_js)
if(NOT WASM_TOOLS)
  list(APPEND _cg_missing_js "wasm-tools not found")
endif()
if(NOT NODE)
  list(APPEND _cg_missing_js "node not found")
endif()
if(NOT EXISTS ${_cg_j2w})
  list(APPEND _cg_missing_js "j2w (npm @spinframework/build-tools) is not in tests/guests/js/node_modules")
endif()
set(_cg_missing_py)
if(NOT WASM_TOOLS)
  list(APPEND _cg_missing_py "wasm-tools not found")
endif()
if(NOT EXISTS ${_cg_cpy})
  list(APPEND _cg_missing_py "componentize-py is not in the venv ${LEPTON_PY_VENV}")
endif()

# _cg_check(<name> <missing list> <out var>): ON when the guest can be built; otherwise reports,
# writes <name>.skip and removes a stale <name>.wasm.
function(_cg_check name missing out)
  if(missing)
    list(JOIN missing "; " reason)
    set(reason "component guest ${name} not built: ${reason} (run scripts/setup-guest-toolchains.sh)")
    if(LEPTON_REQUIRE_GUEST_TOOLCHAINS)
      message(FATAL_ERROR "${reason}")
    endif()
    message(STATUS "${reason}")
    file(WRITE ${_cg_out}/${name}.skip "${reason}\n")
    file(REMOVE ${_cg_out}/${name}.wasm ${_cg_out}/${name}.core.wasm)
    add_test(NAME guest_component.${name} COMMAND sh ${_cg_src}/check.sh ${_cg_out}/${name}.wasm x)
    set_tests_properties(guest_component.${name} PROPERTIES SKIP_RETURN_CODE 77)
    set(${out} OFF PARENT_SCOPE)
  else()
    file(REMOVE ${_cg_out}/${name}.skip)
    set(${out} ON PARENT_SCOPE)
  endif()
endfunction()

# _cg_add(<name> <output> <expected export regex>): target guest_component_<name> and its ctest.
function(_cg_add name output expect)
  add_custom_target(guest_component_${name} ALL DEPENDS ${output})
  add_dependencies(lepton_component_guests guest_component_${name})
  if(WASM_TOOLS)
    add_test(NAME guest_component.${name}
      COMMAND ${CMAKE_COMMAND} -E env WASM_TOOLS=${WASM_TOOLS}
              sh ${_cg_src}/check.sh ${_cg_out}/${name}.wasm "${expect}")
    set_tests_properties(guest_component.${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  endif()
endfunction()

# --- C components: WIT -> wit-bindgen c -> clang -> component embed -> component new --adapt ----
set(_cg_http_worlds http-handler greeted-handler redis-handler kv-handler kv-wasi-handler)
set(_cg_c_worlds http-handler resources all-types greeter-provider greeted-handler redis-handler
                   kv-handler kv-wasi-handler)
list(APPEND _cg_c_worlds redis-trigger-handler)
set(_cg_c_guests hello:http-handler echo:http-handler outbound:http-handler stream:http-handler
                 stdio:http-handler resources:resources all-types:all-types
                 greeter:greeter-provider greeted:greeted-handler redis:redis-handler
                 kv:kv-handler kv-wasi:kv-wasi-handler)
list(APPEND _cg_c_guests redis-trigger:redis-trigger-handler)
list(APPEND _cg_http_worlds mysql-handler mqtt-handler)
list(APPEND _cg_c_worlds mysql-handler mqtt-handler)
list(APPEND _cg_c_guests mysql:mysql-handler mqtt:mqtt-handler)
# postgres / postgres3: spin:postgres/postgres@4.0.0 and @3.0.0 (WIT from Spin's wit/deps).
list(APPEND _cg_http_worlds postgres-handler postgres3-handler)
list(APPEND _cg_c_worlds postgres-handler postgres3-handler)
list(APPEND _cg_c_guests postgres:postgres-handler postgres3:postgres3-handler)
list(APPEND _cg_http_worlds postgres2-handler)
list(APPEND _cg_c_worlds postgres2-handler)
list(APPEND _cg_c_guests postgres2:postgres2-handler)
list(APPEND _cg_http_worlds llm-handler)
list(APPEND _cg_c_worlds llm-handler)
list(APPEND _cg_c_guests llm:llm-handler)
set(_cg_wit ${_cg_work}/wit)
if(NOT _cg_missing_c)
  # The WIT package the guests target: our worlds plus wasi:http 0.2.3 from the npm package.
  # Spin's interfaces (Apache-2.0) are kept in the repo as wit/deps/<package>-<interface>.wit:
  # every fermyon-spin-<name>.wit becomes deps/fermyon-spin/<name>.wit (one package directory),
  # every other file is staged as is.
  file(GLOB _cg_dep_wits CONFIGURE_DEPENDS ${_cg_src}/wit/deps/*.wit)
  set(_cg_wit_files ${_cg_wit}/guests.wit ${_cg_wit}/deps/wasi-http@0.2.3.wit)
  set(_cg_dep_copy)
  foreach(f ${_cg_dep_wits})
    get_filename_component(n ${f} NAME)
    if(n MATCHES "^fermyon-spin-(.*)$")
      set(dest ${_cg_wit}/deps/fermyon-spin/${CMAKE_MATCH_1})
    else()
      set(dest ${_cg_wit}/deps/${n})
    endif()
    list(APPEND _cg_wit_files ${dest})
    list(APPEND _cg_dep_copy COMMAND ${CMAKE_COMMAND} -E copy ${f} ${dest})
  endforeach()
  add_custom_command(OUTPUT ${_cg_wit_files}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${_cg_wit}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_cg_wit}/deps/fermyon-spin
    COMMAND ${CMAKE_COMMAND} -E copy ${_cg_src}/wit/guests.wit ${_cg_wit}/guests.wit
    COMMAND ${CMAKE_COMMAND} -E copy ${_cg_http_wit} ${_cg_wit}/deps/wasi-http@0.2.3.wit
    ${_cg_dep_copy}
    DEPENDS ${_cg_src}/wit/guests.wit ${_cg_http_wit} ${_cg_dep_wits}
    COMMENT "Staging component guest WIT"
    VERBATIM)

  foreach(world ${_cg_c_worlds})
    string(REPLACE "-" "_" cworld ${world})
    set(bdir ${_cg_work}/bindings/${world})
    add_custom_command(OUTPUT ${bdir}/${cworld}.c ${bdir}/${cworld}.h
      COMMAND ${CMAKE_COMMAND} -E make_directory ${bdir}
      COMMAND ${WIT_BINDGEN} c ${_cg_wit} --world ${world} --no-object-file --out-dir ${bdir}
      DEPENDS ${_cg_wit_files}
      COMMENT "wit-bindgen c --world ${world}"
      VERBATIM)
  endforeach()
endif()

foreach(pair ${_cg_c_guests})
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 name)
  list(GET pair 1 world)
  _cg_check(${name} "${_cg_missing_c}" ok)
  if(world IN_LIST _cg_http_worlds)
    set(expect "export wasi:http/incoming-handler@0\\.2\\.[0-9]+;")
  elseif(world STREQUAL "redis-trigger-handler")
    set(expect "export fermyon:spin/inbound-redis@2\\.0\\.0;")
  else()
    set(expect "export lepton:guests/[a-z-]+@0\\.1\\.0;")
  endif()
  if(NOT ok)
    continue()
  endif()
  string(REPLACE "-" "_" cworld ${world})
  string(REPLACE "-" "_" cname ${name})
  set(bdir ${_cg_work}/bindings/${world})
  set(core ${_cg_work}/${name}.core.wasm)
  set(embedded ${_cg_work}/${name}.embedded.wasm)
  set(out ${_cg_out}/${name}.wasm)
  set(core_out ${_cg_out}/${name}.core.wasm)
  add_custom_command(OUTPUT ${out} ${core_out}
    COMMAND ${WASM_CC} --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Werror
            -Wl,--strip-debug -DLEPTON_WIT_WORLD=${cworld} -I${bdir} -I${_cg_src}
            ${_cg_src}/${cname}.c ${_cg_src}/embed_stub.c ${bdir}/${cworld}.c -o ${core}
    COMMAND ${WASM_TOOLS} component embed ${_cg_wit} --world ${world} ${core} -o ${embedded}
    COMMAND ${WASM_TOOLS} component new ${embedded}
            --adapt wasi_snapshot_preview1=${_cg_adapter} -o ${out}
    COMMAND ${CMAKE_COMMAND} -E copy ${embedded} ${core_out}
    DEPENDS ${_cg_src}/${cname}.c ${_cg_src}/guest_util.h ${_cg_src}/embed_stub.c ${bdir}/${cworld}.c ${bdir}/${cworld}.h
            ${_cg_wit_files} ${_cg_adapter}
    COMMENT "Building C component ${name}.wasm (world ${world})"
    VERBATIM)
  _cg_add(${name} ${out} "${expect}")
endforeach()

# --- A composed component: greeted (a wasi:http handler importing lepton:guests/greeter) with
# greeter (exporting it) plugged in, by `wasm-tools compose` (deprecated in favour of `wac`, but
# it ships with the pinned wasm-tools and needs no other tool) ---------------------------------
set(_cg_missing_compose ${_cg_missing_c})
if(WASM_TOOLS AND NOT _cg_missing_compose)
  execute_process(COMMAND ${WASM_TOOLS} compose --help RESULT_VARIABLE _cg_compose_rc
                  OUTPUT_QUIET ERROR_QUIET)
  if(NOT _cg_compose_rc EQUAL 0)
    list(APPEND _cg_missing_compose "this wasm-tools has no `compose` subcommand")
  endif()
endif()
_cg_check(greeted-composed "${_cg_missing_compose}" ok)
if(ok)
  set(out ${_cg_out}/greeted-composed.wasm)
  add_custom_command(OUTPUT ${out}
    COMMAND ${WASM_TOOLS} compose ${_cg_out}/greeted.wasm -d ${_cg_out}/greeter.wasm -o ${out}
    DEPENDS ${_cg_out}/greeted.wasm ${_cg_out}/greeter.wasm
    COMMENT "Composing greeted-composed.wasm (greeted + greeter, wasm-tools compose)"
    VERBATIM)
  _cg_add(greeted-composed ${out} "export wasi:http/incoming-handler@0\\.2\\.[0-9]+;")
endif()

# --- JS: Spin JS SDK v3, j2w (componentize-js / StarlingMonkey) ---------------------------------
_cg_check(js-hello "${_cg_missing_js}" ok)
if(ok)
  set(out ${_cg_out}/js-hello.wasm)
  # j2w reads tests/guests/js/package.json (witDependencies of @spinframework/wasi-http-proxy), so
  # it runs there; it writes precompiled-source.js and <input>.buildData.json beside its input, so
  # the input is a copy in the build tree.
  set(jswork ${_cg_work}/js)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${jswork}
    COMMAND ${CMAKE_COMMAND} -E copy ${_cg_js}/src/index.js ${jswork}/index.js
    COMMAND ${NODE} ${_cg_j2w} -i ${jswork}/index.js -o ${out}
    WORKING_DIRECTORY ${_cg_js}
    DEPENDS ${_cg_js}/src/index.js ${_cg_js}/package.json ${_cg_npm_lock}
    COMMENT "Building JS component js-hello.wasm (j2w; slow: StarlingMonkey + Wizer)"
    VERBATIM)
  _cg_add(js-hello ${out} "export wasi:http/incoming-handler@0\\.2\\.[0-9]+;")
endif()

# --- Python: Spin Python SDK, componentize-py ----------------------------------------------------
_cg_check(py-hello "${_cg_missing_py}" ok)
if(ok)
  set(out ${_cg_out}/py-hello.wasm)
  # componentize-py finds spin-sdk's WIT through $VIRTUAL_ENV. It runs the app once (in its Wasm
  # CPython) and leaves __pycache__ beside it, so it builds a copy in the build tree.
  set(pywork ${_cg_work}/py)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${pywork}
    COMMAND ${CMAKE_COMMAND} -E copy ${_cg_py}/app.py ${pywork}/app.py
    COMMAND ${CMAKE_COMMAND} -E env VIRTUAL_ENV=${LEPTON_PY_VENV}
            ${_cg_cpy} -w spin-http componentize -p ${pywork} app -o ${out}
    WORKING_DIRECTORY ${_cg_work}
    DEPENDS ${_cg_py}/app.py ${_cg_py}/requirements.txt ${_cg_cpy}
    COMMENT "Building Python component py-hello.wasm (componentize-py; slow)"
    VERBATIM)
  _cg_add(py-hello ${out} "export wasi:http/incoming-handler@0\\.2\\.[0-9]+;")
endif()
