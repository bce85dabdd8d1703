# cmake -P script: INPUT (a core module with a component-type section) -> OUTPUT (a component),
# adapting WASI preview 1 with the reactor adapter shipped in npm's @bytecodealliance/jco.
# Never fails the build: when npm or the adapter is unavailable it only warns, OUTPUT is not
# written, and the tests that need it skip. Always writes STAMP.
set(adapter ${NPM_PREFIX}/node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.reactor.wasm)
file(REMOVE ${OUTPUT})
if(NOT EXISTS ${adapter})
  if(NPM)
    execute_process(
      COMMAND ${NPM} install --prefix ${NPM_PREFIX} --no-audit --no-fund --no-save
              @bytecodealliance/jco@${JCO_VERSION}
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(WARNING "npm install @bytecodealliance/jco@${JCO_VERSION} failed: ${err}")
    endif()
  else()
    message(WARNING "npm not found: skipping the componentized C reactor fixture")
  endif()
endif()
if(EXISTS ${adapter})
  execute_process(
    COMMAND ${WASM_TOOLS} component new ${INPUT}
            --adapt wasi_snapshot_preview1=${adapter} -o ${OUTPUT}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(WARNING "wasm-tools component new failed: ${err}")
    file(REMOVE ${OUTPUT})
  endif()
endif()
file(TOUCH ${STAMP})
