// fd_* and path_* functions: stdio streams and the read-only file tree.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include "wasi/internal.h"

namespace lepton::wasi::detail {

namespace {

constexpr uint64_t kDevice = 1;  // st_dev of every tree node

struct Iovec {
  uint32_t buf;
  uint32_t len;
};

// Reads and bounds-checks an iovec array: every buffer must lie inside memory, or the whole call
// is a FAULT before anything is read or written.
Errno load_iovecs(const engine::GuestMemory& mem, u32 iovs, u32 iovs_len, std::vector<Iovec>& out) {
  if (!mem.slice(iovs, uint64_t{iovs_len} * abi::kIovecSize)) return Errno::Fault;
  out.resize(iovs_len);
  for (uint32_t i = 0; i < iovs_len; ++i) {
    uint64_t at = iovs + uint64_t{i} * abi::kIovecSize;
    mem.load(at, out[i].buf);
    mem.load(at + 4, out[i].len);
    if (!mem.slice(out[i].buf, out[i].len)) return Errno::Fault;
  }
  return Errno::Success;
}

// A size the guest can be told (u32): the sum of a transfer stops short of overflowing it.
uint32_t clamp_len(uint64_t total, uint32_t len) {
  uint64_t room = std::numeric_limits<uint32_t>::max() - total;
  return static_cast<uint32_t>(std::min<uint64_t>(len, room));
}

Errno read_path(Call& c, u32 path, u32 path_len, std::string_view& out) {
  auto s = c.mem().string(path, path_len);
  if (!s) return Errno::Fault;
  out = *s;
  return Errno::Success;
}

// The directory a path_* call starts from.
Errno dir_of(Call& c, u32 fd, const Node*& out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind != FdKind::Dir) return Errno::Notdir;
  out = e->node;
  return Errno::Success;
}

Errno lookup(Call& c, u32 fd, u32 path, u32 path_len, Lookup& out) {
  const Node* dir = nullptr;
  if (Errno e = dir_of(c, fd, dir); e != Errno::Success) return e;
  std::string_view p;
  if (Errno e = read_path(c, path, path_len, p); e != Errno::Success) return e;
  out = resolve(*dir, p);
  return Errno::Success;
}

struct Filestat {
  uint64_t ino = 0;
  uint8_t filetype = abi::kFiletypeUnknown;
  uint64_t nlink = 1;
  uint64_t size = 0;
  uint64_t atim = 0, mtim = 0, ctim = 0;
  uint64_t dev = kDevice;
};

uint64_t ns(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

void fill_from_host(Filestat& st, const struct stat& host) {
  st.size = static_cast<uint64_t>(host.st_size);
  st.atim = ns(host.st_atim);
  st.mtim = ns(host.st_mtim);
  st.ctim = ns(host.st_ctim);
}

Filestat dir_stat(const Node& node) {
  Filestat st;
  st.ino = node.ino;
  st.filetype = abi::kFiletypeDirectory;
  st.nlink = 2;
  for (const auto& child : node.children)
    if (child->is_dir) ++st.nlink;
  return st;
}

Errno store_filestat(const engine::GuestMemory& mem, u32 out, const Filestat& st) {
  auto bytes = mem.slice(out, abi::kFilestatSize);
  if (!bytes) return Errno::Fault;
  std::fill(bytes->begin(), bytes->end(), uint8_t{0});
  mem.store(out, st.dev);
  mem.store(out + 8, st.ino);
  mem.store(out + 16, st.filetype);
  mem.store(out + 24, st.nlink);
  mem.store(out + 32, st.size);
  mem.store(out + 40, st.atim);
  mem.store(out + 48, st.mtim);
  mem.store(out + 56, st.ctim);
  return Errno::Success;
}

// The current size of an open tree file.
Errno file_size(Preview1Ctx& ctx, const Node& node, uint64_t& size) {
  auto h = ctx.host_fd(node);
  if (h.fd < 0) return h.error;
  struct stat st;
  if (::fstat(h.fd, &st) != 0) return from_host_errno(errno);
  size = static_cast<uint64_t>(st.st_size);
  return Errno::Success;
}

// Reads a tree file at `offset` into the iovecs; the count read goes to `total`.
Errno pread_file(Call& c, const Node& node, const std::vector<Iovec>& iovs, uint64_t offset,
                 uint32_t& total) {
  auto h = c.ctx.host_fd(node);
  if (h.fd < 0) return h.error;
  total = 0;
  for (const auto& iov : iovs) {
    uint32_t len = clamp_len(total, iov.len);
    if (len == 0) continue;
    if (offset + total > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) break;
    auto dest = c.mem().slice(iov.buf, len);
    ssize_t n;
    do {
      n = ::pread(h.fd, dest->data(), len, static_cast<off_t>(offset + total));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return total > 0 ? Errno::Success : from_host_errno(errno);
    total += static_cast<uint32_t>(n);
    if (static_cast<uint32_t>(n) < len) break;  // end of file
  }
  return Errno::Success;
}

}  // namespace

// ---- fd_* ------------------------------------------------------------------------------------

Errno fd_advise(Call& c, u32 fd, u64, u64, u32 advice) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::Dir) return Errno::Badf;
  if (e->kind != FdKind::File) return Errno::Spipe;
  return advice <= abi::kAdviceMax ? Errno::Success : Errno::Inval;
}

Errno fd_allocate(Call& c, u32 fd, u64, u64) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::File || e->kind == FdKind::Dir) return Errno::Badf;  // not writable
  return Errno::Spipe;
}

Errno fd_close(Call& c, u32 fd) { return c.ctx.close(fd) ? Errno::Success : Errno::Badf; }

Errno fd_datasync(Call& c, u32 fd) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  // Nothing was written, so nothing needs syncing; a stream cannot be synced (as fsync(2)).
  return e->kind == FdKind::File || e->kind == FdKind::Dir ? Errno::Success : Errno::Inval;
}

Errno fd_sync(Call& c, u32 fd) { return fd_datasync(c, fd); }

Errno fd_fdstat_get(Call& c, u32 fd, u32 out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  uint8_t filetype = abi::kFiletypeUnknown;  // stdio: a pipe, not a terminal (as Wasmtime)
  if (e->kind == FdKind::Dir) filetype = abi::kFiletypeDirectory;
  if (e->kind == FdKind::File) filetype = abi::kFiletypeRegularFile;
  const auto& mem = c.mem();
  auto bytes = mem.slice(out, abi::kFdstatSize);
  if (!bytes) return Errno::Fault;
  std::fill(bytes->begin(), bytes->end(), uint8_t{0});
  mem.store(out, filetype);
  mem.store(out + 2, e->flags);
  mem.store(out + 8, e->rights_base);
  mem.store(out + 16, e->rights_inheriting);
  return Errno::Success;
}

Errno fd_fdstat_set_flags(Call& c, u32 fd, u32 flags) {
  FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (flags & ~abi::kFdflagsAll) return Errno::Inval;
  // Synchronous-I/O modes are fixed at open (Wasmtime refuses them here too).
  if (flags & (abi::kFdflagDsync | abi::kFdflagRsync | abi::kFdflagSync)) return Errno::Inval;
  if ((flags & abi::kFdflagAppend) && e->kind == FdKind::Dir) return Errno::Inval;
  if ((flags & abi::kFdflagAppend) && e->kind == FdKind::Stdin) return Errno::Notsup;
  // NONBLOCK changes nothing (no read ever blocks) but is remembered, like APPEND.
  e->flags =
      static_cast<uint16_t>((e->flags & ~(abi::kFdflagAppend | abi::kFdflagNonblock)) | flags);
  return Errno::Success;
}

Errno fd_fdstat_set_rights(Call& c, u32 fd, u64 base, u64 inheriting) {
  FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  // Rights can only be dropped, never gained.
  if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return Errno::Notcapable;
  e->rights_base = base;
  e->rights_inheriting = inheriting;
  return Errno::Success;
}

Errno fd_filestat_get(Call& c, u32 fd, u32 out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  Filestat st;
  if (e->kind == FdKind::Dir) {
    st = dir_stat(*e->node);
  } else if (e->kind == FdKind::File) {
    auto h = c.ctx.host_fd(*e->node);
    if (h.fd < 0) return h.error;
    struct stat host;
    if (::fstat(h.fd, &host) != 0) return from_host_errno(errno);
    st.ino = e->node->ino;
    st.filetype = abi::kFiletypeRegularFile;
    fill_from_host(st, host);
  } else {
    st.dev = 0;  // stdio: a nameless stream
  }
  return store_filestat(c.mem(), out, st);
}

Errno fd_filestat_set_size(Call& c, u32 fd, u64) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  return e->kind == FdKind::Dir ? Errno::Isdir : Errno::Badf;  // not open for writing
}

Errno fd_filestat_set_times(Call& c, u32 fd, u64, u64, u32) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  return e->kind == FdKind::Dir || e->kind == FdKind::File ? abi::kReadOnly : Errno::Badf;
}

Errno fd_pread(Call& c, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::Dir) return Errno::Isdir;
  if (e->kind == FdKind::Stdin) return Errno::Spipe;
  if (e->kind != FdKind::File) return Errno::Badf;
  std::vector<Iovec> v;
  if (Errno err = load_iovecs(c.mem(), iovs, iovs_len, v); err != Errno::Success) return err;
  if (!c.mem().slice(nread_out, 4)) return Errno::Fault;
  uint32_t total = 0;
  if (Errno err = pread_file(c, *e->node, v, offset, total); err != Errno::Success) return err;
  c.mem().store(nread_out, total);
  return Errno::Success;
}

Errno fd_read(Call& c, u32 fd, u32 iovs, u32 iovs_len, u32 nread_out) {
  FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::Dir) return Errno::Isdir;
  if (e->kind != FdKind::File && e->kind != FdKind::Stdin) return Errno::Badf;
  std::vector<Iovec> v;
  if (Errno err = load_iovecs(c.mem(), iovs, iovs_len, v); err != Errno::Success) return err;
  if (!c.mem().slice(nread_out, 4)) return Errno::Fault;
  uint32_t total = 0;
  if (e->kind == FdKind::Stdin) {
    for (const auto& iov : v) {
      std::string_view rest = c.ctx.stdin_rest();
      uint32_t n = clamp_len(total, static_cast<uint32_t>(std::min<size_t>(iov.len, rest.size())));
      if (n == 0) continue;
      c.mem().write(iov.buf, rest.substr(0, n));
      c.ctx.consume_stdin(n);
      total += n;
    }
  } else {
    if (Errno err = pread_file(c, *e->node, v, e->offset, total); err != Errno::Success) return err;
    e->offset += total;
  }
  c.mem().store(nread_out, total);
  return Errno::Success;
}

Errno fd_write(Call& c, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind != FdKind::Stdout && e->kind != FdKind::Stderr) return Errno::Badf;
  const auto& mem = c.mem();
  std::vector<Iovec> v;
  if (Errno err = load_iovecs(mem, iovs, iovs_len, v); err != Errno::Success) return err;
  if (!mem.slice(nwritten_out, 4)) return Errno::Fault;

  // One sink call per fd_write: a single buffer is passed straight from guest memory, several
  // are joined first.
  uint32_t total = 0;
  std::string_view single;
  size_t nonempty = 0;
  for (const auto& iov : v) {
    uint32_t len = clamp_len(total, iov.len);
    if (len == 0) continue;
    single = *mem.string(iov.buf, len);
    ++nonempty;
    total += len;
  }
  const OutputSink& sink =
      e->kind == FdKind::Stdout ? c.ctx.config().stdout_sink : c.ctx.config().stderr_sink;
  if (sink && total > 0) {
    if (nonempty == 1) {
      sink(single);
    } else {
      std::string& joined = c.ctx.scratch();
      joined.clear();
      uint32_t left = total;
      for (const auto& iov : v) {
        uint32_t len = std::min(iov.len, left);
        joined.append(*mem.string(iov.buf, len));
        left -= len;
      }
      sink(joined);
      if (joined.capacity() > (1u << 20)) std::string().swap(joined);
    }
  }
  mem.store(nwritten_out, total);
  return Errno::Success;
}

Errno fd_pwrite(Call& c, u32 fd, u32, u32, u64, u32) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::Stdout || e->kind == FdKind::Stderr) return Errno::Spipe;
  if (e->kind == FdKind::Dir) return Errno::Isdir;
  return Errno::Badf;  // files are open read-only
}

Errno fd_prestat_get(Call& c, u32 fd, u32 out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr || !e->preopen) return Errno::Badf;  // wasi-libc stops scanning at BADF
  const auto& mem = c.mem();
  auto bytes = mem.slice(out, abi::kPrestatSize);
  if (!bytes) return Errno::Fault;
  std::fill(bytes->begin(), bytes->end(), uint8_t{0});
  mem.store<uint32_t>(out + 4, 1);  // strlen("/")
  return Errno::Success;
}

Errno fd_prestat_dir_name(Call& c, u32 fd, u32 path, u32 path_len) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr || !e->preopen) return Errno::Badf;
  if (path_len < 1) return Errno::Nametoolong;
  return c.mem().write(path, "/") ? Errno::Success : Errno::Fault;
}

Errno fd_readdir(Call& c, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind != FdKind::Dir) return Errno::Notdir;
  const auto& mem = c.mem();
  if (!mem.slice(buf, buf_len) || !mem.slice(bufused_out, 4)) return Errno::Fault;

  // Entries in a fixed order: ".", "..", then the children by name. The cookie of an entry is
  // its index plus one (d_next), so a listing resumed with any d_next continues right after it.
  const Node& dir = *e->node;
  uint64_t count = 2 + dir.children.size();
  uint32_t used = 0;
  for (uint64_t i = cookie; i < count && used < buf_len; ++i) {
    std::string_view name;
    const Node* node;
    if (i == 0) {
      name = ".";
      node = &dir;
    } else if (i == 1) {
      name = "..";
      node = dir.parent;
    } else {
      node = dir.children[i - 2].get();
      name = node->name;
    }
    std::array<uint8_t, abi::kDirentSize> header{};
    uint64_t next = i + 1;
    uint32_t namlen = static_cast<uint32_t>(name.size());
    uint8_t type = node->is_dir ? abi::kFiletypeDirectory : abi::kFiletypeRegularFile;
    std::memcpy(header.data(), &next, 8);
    std::memcpy(header.data() + 8, &node->ino, 8);
    std::memcpy(header.data() + 16, &namlen, 4);
    std::memcpy(header.data() + 20, &type, 1);
    // A last entry that does not fit is written truncated: the guest sees bufused == buf_len,
    // grows its buffer and asks again from the same cookie.
    uint32_t n = std::min<uint32_t>(abi::kDirentSize, buf_len - used);
    mem.write(buf + used, std::string_view(reinterpret_cast<const char*>(header.data()), n));
    used += n;
    n = std::min<uint32_t>(namlen, buf_len - used);
    mem.write(buf + used, name.substr(0, n));
    used += n;
  }
  mem.store(bufused_out, used);
  return Errno::Success;
}

Errno fd_renumber(Call& c, u32 fd, u32 to) {
  return c.ctx.renumber(fd, to) ? Errno::Success : Errno::Badf;
}

Errno fd_seek(Call& c, u32 fd, u64 offset, u32 whence, u32 newoffset_out) {
  FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::Dir) return Errno::Badf;
  if (e->kind != FdKind::File) return Errno::Spipe;
  int64_t delta = static_cast<int64_t>(offset);
  int64_t base = 0;
  switch (whence) {
    case abi::kWhenceSet:
      base = 0;
      break;
    case abi::kWhenceCur:
      base = static_cast<int64_t>(e->offset);
      break;
    case abi::kWhenceEnd: {
      uint64_t size = 0;
      if (Errno err = file_size(c.ctx, *e->node, size); err != Errno::Success) return err;
      base = static_cast<int64_t>(size);
      break;
    }
    default:
      return Errno::Inval;
  }
  int64_t target;
  if (__builtin_add_overflow(base, delta, &target)) return Errno::Overflow;
  if (target < 0) return Errno::Inval;
  if (!c.mem().store<uint64_t>(newoffset_out, static_cast<uint64_t>(target))) return Errno::Fault;
  e->offset = static_cast<uint64_t>(target);
  return Errno::Success;
}

Errno fd_tell(Call& c, u32 fd, u32 out) {
  const FdEntry* e = c.ctx.fd(fd);
  if (e == nullptr) return Errno::Badf;
  if (e->kind == FdKind::Dir) return Errno::Badf;
  if (e->kind != FdKind::File) return Errno::Spipe;
  return c.mem().store<uint64_t>(out, e->offset) ? Errno::Success : Errno::Fault;
}

// ---- path_* ----------------------------------------------------------------------------------

Errno path_open(Call& c, u32 fd, u32 /*dirflags*/, u32 path, u32 path_len, u32 oflags,
                u64 rights_base, u64 /*rights_inheriting*/, u32 fdflags, u32 fd_out) {
  Lookup found;
  if (Errno e = lookup(c, fd, path, path_len, found); e != Errno::Success) return e;
  if ((oflags & ~abi::kOflagsAll) || (fdflags & ~abi::kFdflagsAll)) return Errno::Inval;
  if (!c.mem().slice(fd_out, 4)) return Errno::Fault;

  bool create = oflags & abi::kOflagCreat;
  bool write = create || (oflags & abi::kOflagTrunc) || (rights_base & abi::kWriteRights);
  if (found.node == nullptr) {
    // Creating a file in an existing directory is what a read-only tree refuses; anything else
    // missing is just missing. (There are no symlinks, so dirflags has nothing to follow.)
    if (found.error == Errno::Noent && found.missing_leaf && create) return abi::kReadOnly;
    return found.error;
  }
  const Node& node = *found.node;
  if (create && (oflags & abi::kOflagExcl)) return Errno::Exist;
  if ((oflags & abi::kOflagDirectory) && !node.is_dir) return Errno::Notdir;
  if (write) return node.is_dir ? Errno::Isdir : abi::kReadOnly;

  FdEntry entry;
  entry.node = &node;
  entry.flags = static_cast<uint16_t>(fdflags);
  if (node.is_dir) {
    entry.kind = FdKind::Dir;
    entry.rights_base = abi::kDirRightsBase;
    entry.rights_inheriting = abi::kDirRightsInheriting;
  } else {
    auto h = c.ctx.host_fd(node);  // fail now, not at the first read, if the file is gone
    if (h.fd < 0) return h.error;
    entry.kind = FdKind::File;
    entry.rights_base = abi::kFileRights;
    entry.rights_inheriting = abi::kFileRights;
  }
  auto newfd = c.ctx.allocate(entry);
  if (!newfd) return Errno::Mfile;
  c.mem().store<uint32_t>(fd_out, *newfd);
  return Errno::Success;
}

Errno path_filestat_get(Call& c, u32 fd, u32 /*flags*/, u32 path, u32 path_len, u32 out) {
  Lookup found;
  if (Errno e = lookup(c, fd, path, path_len, found); e != Errno::Success) return e;
  if (found.node == nullptr) return found.error;
  const Node& node = *found.node;
  Filestat st;
  if (node.is_dir) {
    st = dir_stat(node);
  } else {
    struct stat host;
    if (::stat(node.host_path.c_str(), &host) != 0) return from_host_errno(errno);
    if (!S_ISREG(host.st_mode)) return Errno::Noent;
    st.ino = node.ino;
    st.filetype = abi::kFiletypeRegularFile;
    fill_from_host(st, host);
  }
  return store_filestat(c.mem(), out, st);
}

Errno path_readlink(Call& c, u32 fd, u32 path, u32 path_len, u32, u32, u32) {
  Lookup found;
  if (Errno e = lookup(c, fd, path, path_len, found); e != Errno::Success) return e;
  // The tree has no symbolic links: an existing path is not one.
  return found.node != nullptr ? Errno::Inval : found.error;
}

namespace {

// What a mutation of the tree gets: the lookup's own error where POSIX would report it first
// (missing parents, a file used as a directory), kReadOnly otherwise.
enum class Mutation { Create, RemoveFile, RemoveDir, Change };

Errno refuse(Call& c, u32 fd, u32 path, u32 path_len, Mutation what) {
  Lookup found;
  if (Errno e = lookup(c, fd, path, path_len, found); e != Errno::Success) return e;
  if (found.node == nullptr) {
    if (what == Mutation::Create && found.error == Errno::Noent && found.missing_leaf)
      return abi::kReadOnly;
    return found.error;
  }
  switch (what) {
    case Mutation::Create:
      return Errno::Exist;
    case Mutation::RemoveFile:
      return found.node->is_dir ? Errno::Isdir : abi::kReadOnly;
    case Mutation::RemoveDir:
      return found.node->is_dir ? abi::kReadOnly : Errno::Notdir;
    case Mutation::Change:
      return abi::kReadOnly;
  }
  return abi::kReadOnly;
}

}  // namespace

Errno path_create_directory(Call& c, u32 fd, u32 path, u32 path_len) {
  return refuse(c, fd, path, path_len, Mutation::Create);
}

Errno path_filestat_set_times(Call& c, u32 fd, u32, u32 path, u32 path_len, u64, u64, u32) {
  return refuse(c, fd, path, path_len, Mutation::Change);
}

Errno path_link(Call& c, u32 old_fd, u32, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                u32 new_path_len) {
  if (Errno e = refuse(c, old_fd, old_path, old_path_len, Mutation::Change); e != abi::kReadOnly)
    return e;
  return refuse(c, new_fd, new_path, new_path_len, Mutation::Create);
}

Errno path_remove_directory(Call& c, u32 fd, u32 path, u32 path_len) {
  return refuse(c, fd, path, path_len, Mutation::RemoveDir);
}

Errno path_rename(Call& c, u32 fd, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                  u32 new_path_len) {
  if (Errno e = refuse(c, fd, old_path, old_path_len, Mutation::Change); e != abi::kReadOnly)
    return e;
  const Node* dir = nullptr;
  if (Errno e = dir_of(c, new_fd, dir); e != Errno::Success) return e;
  std::string_view p;
  if (Errno e = read_path(c, new_path, new_path_len, p); e != Errno::Success) return e;
  return abi::kReadOnly;
}

Errno path_symlink(Call& c, u32 old_path, u32 old_path_len, u32 fd, u32 new_path,
                   u32 new_path_len) {
  std::string_view target;
  if (Errno e = read_path(c, old_path, old_path_len, target); e != Errno::Success) return e;
  return refuse(c, fd, new_path, new_path_len, Mutation::Create);
}

Errno path_unlink_file(Call& c, u32 fd, u32 path, u32 path_len) {
  return refuse(c, fd, path, path_len, Mutation::RemoveFile);
}

}  // namespace lepton::wasi::detail
