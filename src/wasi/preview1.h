// WASI preview 1 (wasi_snapshot_preview1) for core modules, written against lepton's own
// per-request context instead of a general-purpose WASI library: only what a request handler
// needs, with a read-only virtual file system built from the manifest's `files`.
//
// All 46 wasi_snapshot_preview1 functions are defined, so any wasip1 module links. What they do:
// args/environ from the config; clocks (realtime, monotonic, and cputime measured on the calling
// thread since the first cputime query of the request); random_get from getrandom(2); stdin from
// `stdin_data`; stdout/stderr to the sinks; a read-only file tree preopened at fd 3 as "/" when
// the component has files; poll_oneoff on clocks (sleeps) and stdio/files (always ready).
// Everything that would write to the tree fails with PERM (as Wasmtime answers for read-only
// preopens); sockets and proc_raise are not supported. Pointers the guest passes are
// bounds-checked: anything outside its memory is answered with FAULT, never touched.
#pragma once

#include <wasmtime.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/app.h"
#include "common/result.h"

namespace lepton::wasi {

// The files a component may read, as an immutable tree built once per component at load time
// and shared by all its requests (thread-safe: nothing in it changes after build). Only listed
// files, and the directories their paths imply, exist for the guest: nothing can escape it, not
// even through "..", which stops at the root as it does at "/" on a host.
class FileTree {
 public:
  // Fails on a guest path that is not absolute, contains "..", is "/" itself, or needs a name to
  // be both a file and a directory ("/a" and "/a/b"). Host files are not opened here: a guest
  // opens them (read-only) when it calls path_open.
  static Result<std::shared_ptr<const FileTree>> build(const std::vector<app::FileMount>& files);
  struct Node;  // see wasi/internal.h
  const Node& root() const { return *root_; }
  bool empty() const;
  size_t file_count() const { return file_count_; }
  ~FileTree();

 private:
  FileTree();
  std::unique_ptr<Node> root_;
  size_t file_count_ = 0;
};

// Receives guest output. The view points into guest memory: copy what you keep.
using OutputSink = std::function<void(std::string_view)>;

// Per-request WASI state, registered in the store's StoreData (engine/store.h).
struct Preview1Config {
  std::vector<std::string> args;                         // argv[0] is the program name
  std::vector<std::pair<std::string, std::string>> env;  // KEY=VALUE pairs
  std::shared_ptr<const FileTree> files;                 // null or empty: no preopens
  std::string stdin_data;                                // WAGI: the request body
  OutputSink stdout_sink;                                // null: discarded
  OutputSink stderr_sink;                                // null: discarded
  // poll_oneoff never sleeps past this instant (the request's timeout): it wakes the guest,
  // whose epoch deadline then stops it. None: sleeps as long as asked.
  std::optional<std::chrono::steady_clock::time_point> sleep_deadline;
};

class Preview1Ctx;  // defined in wasi/internal.h

// Creates the per-request context. It must outlive the store that uses it. Not thread-safe: one
// request, one thread at a time.
using Preview1CtxPtr = std::unique_ptr<Preview1Ctx, void (*)(Preview1Ctx*)>;
Preview1CtxPtr make_preview1(Preview1Config config);

// Registers the context in a store's data (engine::StoreData) so host functions find it. A
// wasi_snapshot_preview1 call in a store without a context traps.
void attach(Preview1Ctx& ctx, wasmtime_context_t* store);

// Set by proc_exit: the guest asked to exit with this code, and the call then ended in a trap
// whose message contains kExitTrapMessage (Wasmtime may add a backtrace around it). Executors
// check this first and treat such a trap as a normal end, not a failure. A `_start` that returns
// normally (main returned 0) leaves it unset.
std::optional<int> exit_code(const Preview1Ctx& ctx);
inline constexpr std::string_view kExitTrapMessage = "lepton: guest called proc_exit";

// Defines every wasi_snapshot_preview1 function in the linker (once per linker; a linker can be
// shared by all requests of all components: the functions find their state in the store).
Status define_preview1(wasmtime_linker_t* linker);
// The names define_preview1 defines.
std::vector<std::string> preview1_function_names();

}  // namespace lepton::wasi
