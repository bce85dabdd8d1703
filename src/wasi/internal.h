// Internals of the preview1 implementation shared by its source files (and white-box tests):
// the file tree's nodes, the per-request context with its fd table, and the host functions.
#pragma once

#include <wasmtime.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/guest_memory.h"
#include "wasi/abi.h"
#include "wasi/preview1.h"

namespace lepton::wasi {

struct FileTree::Node {
  std::string name;    // "" for the root
  const Node* parent;  // the root is its own parent: ".." stops there
  uint64_t ino;        // unique within the tree
  bool is_dir;
  std::filesystem::path host_path;              // files only
  std::vector<std::unique_ptr<Node>> children;  // directories only, sorted by name

  const Node* child(std::string_view child_name) const;
};

namespace detail {

using Errno = abi::Errno;
using Node = FileTree::Node;

// Where a name leads in the tree, lexically: "." and ".." are resolved by walking the tree, and
// ".." at the root stays at the root. `missing_leaf` is set when only the last component is
// missing (the parent directory exists) — where a create would have happened.
struct Lookup {
  const Node* node = nullptr;
  Errno error = Errno::Success;
  bool missing_leaf = false;
};
Lookup resolve(const Node& start, std::string_view path);

enum class FdKind : uint8_t { Closed, Stdin, Stdout, Stderr, Dir, File };

struct FdEntry {
  FdKind kind = FdKind::Closed;
  const Node* node = nullptr;  // Dir, File
  uint64_t offset = 0;         // File: the read position
  uint16_t flags = 0;          // fdflags
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
  bool preopen = false;
};

inline constexpr size_t kMaxFds = 1024;      // per request; more → MFILE
inline constexpr size_t kHostFdCache = 8;    // host files held open per request at once
inline constexpr size_t kMaxPathLen = 4096;  // longer → NAMETOOLONG

}  // namespace detail

class Preview1Ctx {
 public:
  explicit Preview1Ctx(Preview1Config config);
  ~Preview1Ctx();
  Preview1Ctx(const Preview1Ctx&) = delete;
  Preview1Ctx& operator=(const Preview1Ctx&) = delete;

  const Preview1Config& config() const { return config_; }

  // "a\0b\0" blobs and each string's offset in them.
  const std::string& args_blob() const { return args_blob_; }
  const std::vector<uint32_t>& args_offsets() const { return args_offsets_; }
  const std::string& env_blob() const { return env_blob_; }
  const std::vector<uint32_t>& env_offsets() const { return env_offsets_; }

  std::string_view stdin_rest() const;
  void consume_stdin(size_t n) { stdin_pos_ += n; }

  // The open entry for a guest fd, or null (BADF).
  detail::FdEntry* fd(uint32_t fd);
  // Places an entry at the lowest free fd; nullopt when kMaxFds are open (MFILE).
  std::optional<uint32_t> allocate(const detail::FdEntry& entry);
  bool close(uint32_t fd);
  bool renumber(uint32_t from, uint32_t to);

  // A host descriptor for a tree file, opened read-only on first use and cached; the cache holds
  // at most kHostFdCache descriptors, so a guest cannot exhaust the host's descriptors.
  // Errno on failure (the host file vanished or is unreadable).
  struct HostFd {
    int fd = -1;
    detail::Errno error = detail::Errno::Success;
  };
  HostFd host_fd(const detail::Node& node);

  // Per-request cputime: the calling thread's CPU time since the first query.
  uint64_t cputime_ns();

  void set_exit_code(int code) { exit_code_ = code; }
  std::optional<int> exit_code() const { return exit_code_; }

  std::string& scratch() { return scratch_; }

 private:
  struct CachedHostFd {
    const detail::Node* node = nullptr;
    int fd = -1;
    uint64_t last_use = 0;
  };

  Preview1Config config_;
  std::string args_blob_, env_blob_;
  std::vector<uint32_t> args_offsets_, env_offsets_;
  size_t stdin_pos_ = 0;
  std::vector<detail::FdEntry> fds_;
  std::array<CachedHostFd, detail::kHostFdCache> host_fds_{};
  uint64_t host_fd_clock_ = 0;
  std::optional<uint64_t> cputime_base_;
  std::optional<int> exit_code_;
  std::string scratch_;
};

namespace detail {

// One host call: the context and the caller's memory (fetched on first use; a module without
// an exported "memory" gets an empty one, so every pointer it passes is a FAULT).
class Call {
 public:
  Call(Preview1Ctx& ctx, wasmtime_caller_t* caller) : ctx(ctx), caller_(caller) {}
  Preview1Ctx& ctx;
  const engine::GuestMemory& mem() {
    if (!mem_) mem_ = engine::GuestMemory::of_caller(caller_).value_or(engine::GuestMemory{});
    return *mem_;
  }
  // Set by a function that must stop the guest (its request ran out of time while it waited):
  // the call traps with this message instead of returning its errno.
  std::optional<std::string> trap;

 private:
  wasmtime_caller_t* caller_;
  std::optional<engine::GuestMemory> mem_;
};

// Host functions, in the order of the witx. Parameters are the core wasm ones: i32 → uint32_t,
// i64 → uint64_t. The thunks in linker.cc derive the wasm signatures from these C++ types.
using u32 = uint32_t;
using u64 = uint64_t;

Errno args_get(Call&, u32 argv, u32 argv_buf);
Errno args_sizes_get(Call&, u32 argc_out, u32 buf_size_out);
Errno environ_get(Call&, u32 environ, u32 environ_buf);
Errno environ_sizes_get(Call&, u32 count_out, u32 buf_size_out);
Errno clock_res_get(Call&, u32 id, u32 out);
Errno clock_time_get(Call&, u32 id, u64 precision, u32 out);
Errno fd_advise(Call&, u32 fd, u64 offset, u64 len, u32 advice);
Errno fd_allocate(Call&, u32 fd, u64 offset, u64 len);
Errno fd_close(Call&, u32 fd);
Errno fd_datasync(Call&, u32 fd);
Errno fd_fdstat_get(Call&, u32 fd, u32 out);
Errno fd_fdstat_set_flags(Call&, u32 fd, u32 flags);
Errno fd_fdstat_set_rights(Call&, u32 fd, u64 base, u64 inheriting);
Errno fd_filestat_get(Call&, u32 fd, u32 out);
Errno fd_filestat_set_size(Call&, u32 fd, u64 size);
Errno fd_filestat_set_times(Call&, u32 fd, u64 atim, u64 mtim, u32 fst_flags);
Errno fd_pread(Call&, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_out);
Errno fd_prestat_get(Call&, u32 fd, u32 out);
Errno fd_prestat_dir_name(Call&, u32 fd, u32 path, u32 path_len);
Errno fd_pwrite(Call&, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_out);
Errno fd_read(Call&, u32 fd, u32 iovs, u32 iovs_len, u32 nread_out);
Errno fd_readdir(Call&, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_out);
Errno fd_renumber(Call&, u32 fd, u32 to);
Errno fd_seek(Call&, u32 fd, u64 offset, u32 whence, u32 newoffset_out);
Errno fd_sync(Call&, u32 fd);
Errno fd_tell(Call&, u32 fd, u32 out);
Errno fd_write(Call&, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_out);
Errno path_create_directory(Call&, u32 fd, u32 path, u32 path_len);
Errno path_filestat_get(Call&, u32 fd, u32 flags, u32 path, u32 path_len, u32 out);
Errno path_filestat_set_times(Call&, u32 fd, u32 flags, u32 path, u32 path_len, u64 atim, u64 mtim,
                              u32 fst_flags);
Errno path_link(Call&, u32 old_fd, u32 old_flags, u32 old_path, u32 old_path_len, u32 new_fd,
                u32 new_path, u32 new_path_len);
Errno path_open(Call&, u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags, u64 rights_base,
                u64 rights_inheriting, u32 fdflags, u32 fd_out);
Errno path_readlink(Call&, u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len, u32 bufused_out);
Errno path_remove_directory(Call&, u32 fd, u32 path, u32 path_len);
Errno path_rename(Call&, u32 fd, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                  u32 new_path_len);
Errno path_symlink(Call&, u32 old_path, u32 old_path_len, u32 fd, u32 new_path, u32 new_path_len);
Errno path_unlink_file(Call&, u32 fd, u32 path, u32 path_len);
Errno poll_oneoff(Call&, u32 in, u32 out, u32 nsubscriptions, u32 nevents_out);
// proc_exit has no result and ends in a trap: see linker.cc.
Errno proc_raise(Call&, u32 signal);
Errno sched_yield(Call&);
Errno random_get(Call&, u32 buf, u32 buf_len);
Errno sock_accept(Call&, u32 fd, u32 flags, u32 fd_out);
Errno sock_recv(Call&, u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags, u32 ro_datalen_out,
                u32 ro_flags_out);
Errno sock_send(Call&, u32 fd, u32 si_data, u32 si_data_len, u32 si_flags, u32 so_datalen_out);
Errno sock_shutdown(Call&, u32 fd, u32 how);

// Maps a host errno (from open/pread/fstat) to the WASI one.
Errno from_host_errno(int host_errno);

}  // namespace detail
}  // namespace lepton::wasi
