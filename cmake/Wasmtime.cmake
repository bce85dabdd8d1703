# Builds deps/wasmtime (our wrapper crate around wasmtime-c-api-impl) with cargo, always in
# release (debug Cranelift is very slow), into a target dir cached outside the build tree so a
# fresh clone on the same machine relinks in seconds. Exposes the imported target `wasmtime`.
find_program(CARGO cargo HINTS $ENV{HOME}/.cargo/bin REQUIRED)
if(DEFINED ENV{LEPTON_CARGO_TARGET_DIR})
  set(LEPTON_CARGO_TARGET_DIR "$ENV{LEPTON_CARGO_TARGET_DIR}")
elseif(DEFINED ENV{XDG_CACHE_HOME})
  set(LEPTON_CARGO_TARGET_DIR "$ENV{XDG_CACHE_HOME}/lepton/cargo-target")
else()
  set(LEPTON_CARGO_TARGET_DIR "$ENV{HOME}/.cache/lepton/cargo-target")
endif()
set(WASMTIME_CRATE "${PROJECT_SOURCE_DIR}/deps/wasmtime")
# The target dir is shared by every checkout on the machine (so Wasmtime itself is compiled
# once), but its release/libwasmtime.a is whichever checkout built last; each build tree copies
# the library it just built (and the headers) into its own directory and links that.
set(WASMTIME_OUT "${CMAKE_BINARY_DIR}/wasmtime")
set(WASMTIME_LIB "${WASMTIME_OUT}/libwasmtime.a")
set(WASMTIME_INCLUDE "${WASMTIME_OUT}/include")

# Cargo decides itself whether anything is stale; the stamp only orders the build.
add_custom_target(wasmtime_cargo
  COMMAND ${CMAKE_COMMAND} -E env CARGO_TARGET_DIR=${LEPTON_CARGO_TARGET_DIR}
          ${CARGO} build --release --locked --manifest-path ${WASMTIME_CRATE}/Cargo.toml
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${LEPTON_CARGO_TARGET_DIR}/release/libwasmtime.a
          ${WASMTIME_LIB}
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${LEPTON_CARGO_TARGET_DIR}/release/include
          ${WASMTIME_INCLUDE}
  BYPRODUCTS ${WASMTIME_LIB}
  COMMENT "Building Wasmtime C API (cargo, release; cold build takes 10-30 min)"
  USES_TERMINAL)

file(MAKE_DIRECTORY "${WASMTIME_INCLUDE}")
add_library(wasmtime STATIC IMPORTED GLOBAL)
set_target_properties(wasmtime PROPERTIES
  IMPORTED_LOCATION "${WASMTIME_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${WASMTIME_INCLUDE}"
  INTERFACE_LINK_LIBRARIES "pthread;dl;m")
add_dependencies(wasmtime wasmtime_cargo)
