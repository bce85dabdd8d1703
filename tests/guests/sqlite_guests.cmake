# SQLite test guests (included after components.cmake, whose toolchain checks and helpers
# _cg_check/_cg_add it reuses):
#   components/sqlite.wasm    C, wit-bindgen  wasi:http handler over fermyon:spin/sqlite@2.0.0
#   components/sqlite3.wasm   C, wit-bindgen  the same over spin:sqlite/sqlite@3.0.0
#                             (tests/guests/components/sqlite.c has the request/answer scheme)
#   spin1_sqlite_probe.wasm   Spin 1 core module using the `sqlite` import (spin1_sqlite_probe.c)
# WIT: components/wit/sqlite/worlds.wit (package lepton:sqlite-guests) with
# components/wit/deps/fermyon-spin-sqlite.wit and components/wit/deps/spin-sqlite.wit.

lepton_add_guest(spin1_sqlite_probe SOURCES spin1_sqlite_probe.c REACTOR
  FLAGS -Wl,--allow-undefined)

set(_sq_wit ${_cg_work}/sqlite-wit)
set(_sq_src_wit ${_cg_src}/wit)
if(NOT _cg_missing_c)
  set(_sq_wit_files ${_sq_wit}/worlds.wit ${_sq_wit}/deps/wasi-http@0.2.3.wit
                    ${_sq_wit}/deps/fermyon-spin/sqlite.wit ${_sq_wit}/deps/spin-sqlite/sqlite.wit)
  add_custom_command(OUTPUT ${_sq_wit_files}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${_sq_wit}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_sq_wit}/deps/fermyon-spin
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_sq_wit}/deps/spin-sqlite
    COMMAND ${CMAKE_COMMAND} -E copy ${_sq_src_wit}/sqlite/worlds.wit ${_sq_wit}/worlds.wit
    COMMAND ${CMAKE_COMMAND} -E copy ${_cg_http_wit} ${_sq_wit}/deps/wasi-http@0.2.3.wit
    COMMAND ${CMAKE_COMMAND} -E copy ${_sq_src_wit}/deps/fermyon-spin-sqlite.wit
            ${_sq_wit}/deps/fermyon-spin/sqlite.wit
    COMMAND ${CMAKE_COMMAND} -E copy ${_sq_src_wit}/deps/spin-sqlite.wit
            ${_sq_wit}/deps/spin-sqlite/sqlite.wit
    DEPENDS ${_sq_src_wit}/sqlite/worlds.wit ${_cg_http_wit} ${_sq_src_wit}/deps/fermyon-spin-sqlite.wit
            ${_sq_src_wit}/deps/spin-sqlite.wit
    COMMENT "Staging SQLite guest WIT"
    VERBATIM)
endif()

foreach(spec "sqlite:sqlite-handler:" "sqlite3:sqlite3-handler:-DLEPTON_SQLITE_V3")
  string(REPLACE ":" ";" spec "${spec}")
  list(GET spec 0 name)
  list(GET spec 1 world)
  list(LENGTH spec n)
  set(define)
  if(n GREATER 2)
    list(GET spec 2 define)
  endif()
  _cg_check(${name} "${_cg_missing_c}" ok)
  if(NOT ok)
    continue()
  endif()
  string(REPLACE "-" "_" cworld ${world})
  set(bdir ${_cg_work}/bindings/${world})
  add_custom_command(OUTPUT ${bdir}/${cworld}.c ${bdir}/${cworld}.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${bdir}
    COMMAND ${WIT_BINDGEN} c ${_sq_wit} --world ${world} --no-object-file --out-dir ${bdir}
    DEPENDS ${_sq_wit_files}
    COMMENT "wit-bindgen c --world ${world}"
    VERBATIM)
  set(core ${_cg_work}/${name}.core.wasm)
  set(embedded ${_cg_work}/${name}.embedded.wasm)
  set(out ${_cg_out}/${name}.wasm)
  set(core_out ${_cg_out}/${name}.core.wasm)
  add_custom_command(OUTPUT ${out} ${core_out}
    COMMAND ${WASM_CC} --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Werror
            -Wl,--strip-debug -DLEPTON_WIT_WORLD=${cworld} ${define} -I${bdir} -I${_cg_src}
            ${_cg_src}/sqlite.c ${_cg_src}/embed_stub.c ${bdir}/${cworld}.c -o ${core}
    COMMAND ${WASM_TOOLS} component embed ${_sq_wit} --world ${world} ${core} -o ${embedded}
    COMMAND ${WASM_TOOLS} component new ${embedded}
            --adapt wasi_snapshot_preview1=${_cg_adapter} -o ${out}
    COMMAND ${CMAKE_COMMAND} -E copy ${embedded} ${core_out}
    DEPENDS ${_cg_src}/sqlite.c ${_cg_src}/guest_util.h ${_cg_src}/embed_stub.c
            ${bdir}/${cworld}.c ${bdir}/${cworld}.h ${_sq_wit_files} ${_cg_adapter}
    COMMENT "Building C component ${name}.wasm (world ${world})"
    VERBATIM)
  _cg_add(${name} ${out} "export wasi:http/incoming-handler@0\\.2\\.[0-9]+;")
endforeach()
