// wasi:filesystem/types and wasi:filesystem/preopens: the component's read-only file tree
// (wasi::FileTree, shared with preview 1) preopened as "/". Paths are resolved by the preview-1
// resolver (wasi::detail::resolve): lexically inside the tree, ".." stopping at the root,
// absolute paths refused, so no path reaches a host file that is not mounted.
//
// Read-only answers follow Wasmtime's for read-only preopens where it has one: opening with write
// intent (write, mutate-directory, create, truncate, exclusive) and every directory mutation
// (create-directory-at, unlink, rename, link, symlink, set-times-at) fail with not-permitted;
// writes through a descriptor (write, write-via-stream, append-via-stream, set-size, set-times)
// fail with read-only.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>

#include "wasi/internal.h"
#include "wasi2/host_util.h"
#include "wasi2/wasi2.h"

namespace lepton::wasi2 {

using component::InstanceState;
using component::ObjectTable;
using component::Val;
using detail::define;
using detail::HostCall;
using Node = wasi::FileTree::Node;
using wasi::detail::Errno;
namespace ty = component::ty;

namespace {

// error-code, in WIT order (the case index is the ABI value).
enum class Code : uint32_t {
  kAccess,
  kWouldBlock,
  kAlready,
  kBadDescriptor,
  kBusy,
  kDeadlock,
  kQuota,
  kExist,
  kFileTooLarge,
  kIllegalByteSequence,
  kInProgress,
  kInterrupted,
  kInvalid,
  kIo,
  kIsDirectory,
  kLoop,
  kTooManyLinks,
  kMessageSize,
  kNameTooLong,
  kNoDevice,
  kNoEntry,
  kNoLock,
  kInsufficientMemory,
  kInsufficientSpace,
  kNotDirectory,
  kNotEmpty,
  kNotRecoverable,
  kUnsupported,
  kNoTty,
  kNoSuchDevice,
  kOverflow,
  kNotPermitted,
  kPipe,
  kReadOnly,
  kInvalidSeek,
  kTextFileBusy,
  kCrossDevice,
};
const std::vector<std::string> kCodeLabels = {"access",
                                              "would-block",
                                              "already",
                                              "bad-descriptor",
                                              "busy",
                                              "deadlock",
                                              "quota",
                                              "exist",
                                              "file-too-large",
                                              "illegal-byte-sequence",
                                              "in-progress",
                                              "interrupted",
                                              "invalid",
                                              "io",
                                              "is-directory",
                                              "loop",
                                              "too-many-links",
                                              "message-size",
                                              "name-too-long",
                                              "no-device",
                                              "no-entry",
                                              "no-lock",
                                              "insufficient-memory",
                                              "insufficient-space",
                                              "not-directory",
                                              "not-empty",
                                              "not-recoverable",
                                              "unsupported",
                                              "no-tty",
                                              "no-such-device",
                                              "overflow",
                                              "not-permitted",
                                              "pipe",
                                              "read-only",
                                              "invalid-seek",
                                              "text-file-busy",
                                              "cross-device"};

Code from_errno(Errno e) {
  switch (e) {
    case Errno::Acces:
      return Code::kAccess;
    case Errno::Again:
      return Code::kWouldBlock;
    case Errno::Badf:
      return Code::kBadDescriptor;
    case Errno::Exist:
      return Code::kExist;
    case Errno::Inval:
      return Code::kInvalid;
    case Errno::Isdir:
      return Code::kIsDirectory;
    case Errno::Loop:
      return Code::kLoop;
    case Errno::Nametoolong:
      return Code::kNameTooLong;
    case Errno::Noent:
      return Code::kNoEntry;
    case Errno::Nomem:
      return Code::kInsufficientMemory;
    case Errno::Notdir:
      return Code::kNotDirectory;
    case Errno::Notempty:
      return Code::kNotEmpty;
    case Errno::Notsup:
      return Code::kUnsupported;
    case Errno::Overflow:
      return Code::kOverflow;
    case Errno::Perm:
    case Errno::Notcapable:
      return Code::kNotPermitted;
    case Errno::Rofs:
      return Code::kReadOnly;
    case Errno::Spipe:
      return Code::kInvalidSeek;
    default:
      return Code::kIo;
  }
}

enum DescriptorType : uint32_t { kTypeDirectory = 3, kTypeRegularFile = 6 };
constexpr uint32_t kFlagRead = 1 << 0;
constexpr uint32_t kFlagWrite = 1 << 1;
constexpr uint32_t kFlagMutateDirectory = 1 << 5;
constexpr uint32_t kOpenCreate = 1 << 0;
constexpr uint32_t kOpenDirectory = 1 << 1;
constexpr uint32_t kOpenExclusive = 1 << 2;
constexpr uint32_t kOpenTruncate = 1 << 3;

// The host descriptors of tree files, opened read-only on first use; at most kSlots at once per
// request, so a guest cannot exhaust the host's descriptors by opening many files.
class HostFiles {
 public:
  HostFiles() = default;
  HostFiles(const HostFiles&) = delete;
  HostFiles& operator=(const HostFiles&) = delete;
  ~HostFiles() {
    for (auto& s : slots_)
      if (s.fd >= 0) ::close(s.fd);
  }

  struct Opened {
    int fd = -1;
    Code error = Code::kIo;
  };
  Opened open(const Node& node) {
    ++clock_;
    Slot* victim = &slots_[0];
    for (auto& s : slots_) {
      if (s.node == &node) {
        s.last_use = clock_;
        return {s.fd};
      }
      if (s.last_use < victim->last_use) victim = &s;
    }
    int fd;
    do {
      fd = ::open(node.host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return {-1, from_errno(wasi::detail::from_host_errno(errno))};
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return {-1, Code::kNoEntry};  // only regular files are mounted
    }
    if (victim->fd >= 0) ::close(victim->fd);
    *victim = {&node, fd, clock_};
    return {fd};
  }

 private:
  static constexpr size_t kSlots = 8;
  struct Slot {
    const Node* node = nullptr;
    int fd = -1;
    uint64_t last_use = 0;
  };
  std::array<Slot, kSlots> slots_{};
  uint64_t clock_ = 0;
};

struct Descriptor {
  std::shared_ptr<const wasi::FileTree> tree;  // keeps `node` alive
  const Node* node;
};
struct DirectoryEntries {
  const Node* dir;
  size_t next = 0;
};

struct FsState {
  // Every tree preopened in this request stays alive with it: HostFiles and the object tables
  // refer to its nodes by address.
  std::vector<std::shared_ptr<const wasi::FileTree>> trees;
  std::shared_ptr<HostFiles> files = std::make_shared<HostFiles>();
  ObjectTable<Descriptor> descriptors;
  ObjectTable<DirectoryEntries> entry_streams;
};

Val err(Code code) { return Val::err(Val::enum_(static_cast<uint32_t>(code))); }

// A read-via-stream stream: reads the file from `offset` on, ends with closed at its end.
class FileInputStream final : public InputStream {
 public:
  FileInputStream(std::shared_ptr<const wasi::FileTree> tree, std::shared_ptr<HostFiles> files,
                  const Node& node, uint64_t offset)
      : tree_(std::move(tree)), files_(std::move(files)), node_(node), offset_(offset) {}

  StreamResult<std::string> read(uint64_t len) override {
    auto h = files_->open(node_);
    if (h.fd < 0) return failure(h.error);
    std::string out(static_cast<size_t>(std::min(len, kMaxTransfer)), '\0');
    if (out.empty()) return out;
    if (offset_ > static_cast<uint64_t>(std::numeric_limits<off_t>::max()))
      return StreamError::end();
    ssize_t n;
    do {
      n = ::pread(h.fd, out.data(), out.size(), static_cast<off_t>(offset_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return failure(from_errno(wasi::detail::from_host_errno(errno)));
    if (n == 0) return StreamError::end();
    out.resize(static_cast<size_t>(n));
    offset_ += static_cast<uint64_t>(n);
    return out;
  }
  std::unique_ptr<Pollable> subscribe() override { return std::make_unique<ReadyPollable>(); }

 private:
  StreamError failure(Code code) {
    return StreamError::failed(
        IoError{fmt::format("reading a file failed: {}", kCodeLabels[static_cast<uint32_t>(code)]),
                std::string(kFilesystemDomain), Val::enum_(static_cast<uint32_t>(code))});
  }
  std::shared_ptr<const wasi::FileTree> tree_;
  std::shared_ptr<HostFiles> files_;
  const Node& node_;
  uint64_t offset_;
};

FsState& fs(InstanceState& inst) { return inst.state<FsState>(); }

Result<Descriptor*> self_desc(HostCall& c, size_t arg = 0) {
  Descriptor* d = fs(c.instance).descriptors.get(c.args[arg].rep());
  if (d == nullptr) return fail("wasi:filesystem: unknown descriptor {}", c.args[arg].rep());
  return d;
}
Result<const Node*> self_node(HostCall& c, size_t arg = 0) {
  LEPTON_TRY(Descriptor * d, self_desc(c, arg));
  return d->node;
}

uint64_t ns(const struct timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}
Val datetime(const struct timespec& ts) {
  return Val::record({Val::u64(ts.tv_sec < 0 ? 0 : static_cast<uint64_t>(ts.tv_sec)),
                      Val::u32(static_cast<uint32_t>(ts.tv_nsec))});
}

// A file's host metadata, or an error code.
struct FileStat {
  struct stat st{};
  std::optional<Code> error;
};
FileStat host_stat(InstanceState& inst, const Node& node) {
  FileStat out;
  auto h = fs(inst).files->open(node);
  if (h.fd < 0) {
    out.error = h.error;
  } else if (::fstat(h.fd, &out.st) != 0) {
    out.error = from_errno(wasi::detail::from_host_errno(errno));
  }
  return out;
}

// result<descriptor-stat, error-code>.
Val stat_result(InstanceState& inst, const Node& node) {
  if (node.is_dir) {
    uint64_t links = 2;
    for (const auto& child : node.children)
      if (child->is_dir) ++links;
    return Val::ok(Val::record({Val::enum_(kTypeDirectory), Val::u64(links), Val::u64(0),
                                Val::none(), Val::none(), Val::none()}));
  }
  FileStat s = host_stat(inst, node);
  if (s.error) return err(*s.error);
  return Val::ok(
      Val::record({Val::enum_(kTypeRegularFile), Val::u64(1),
                   Val::u64(static_cast<uint64_t>(s.st.st_size)), Val::some(datetime(s.st.st_atim)),
                   Val::some(datetime(s.st.st_mtim)), Val::some(datetime(s.st.st_ctim))}));
}

uint64_t mix(uint64_t x) {  // splitmix64's finaliser: hash values do not reveal their inputs
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// result<metadata-hash-value, error-code>: the same object hashes alike while it is unchanged;
// a file's hash changes with its size or modification time.
Val hash_result(InstanceState& inst, const Node& node) {
  uint64_t lower = mix(node.ino);
  uint64_t upper = mix(lower ^ (node.is_dir ? 1 : 2));
  if (!node.is_dir) {
    FileStat s = host_stat(inst, node);
    if (s.error) return err(*s.error);
    lower = mix(lower ^ static_cast<uint64_t>(s.st.st_size));
    upper = mix(upper ^ ns(s.st.st_mtim));
  }
  return Val::ok(Val::record({Val::u64(lower), Val::u64(upper)}));
}

// The node `path` names under directory `dir`, or the error code for the guest.
struct Found {
  const Node* node = nullptr;
  Code error = Code::kIo;
};
Found find(const Node& dir, std::string_view path) {
  if (!dir.is_dir) return {nullptr, Code::kNotDirectory};
  wasi::detail::Lookup l = wasi::detail::resolve(dir, path);
  if (l.node == nullptr) return {nullptr, from_errno(l.error)};
  return {l.node};
}

}  // namespace

void register_filesystem(component::HostRegistry& registry) {
  auto input = registry.resource("wasi:io/streams", "input-stream");
  auto output = registry.resource("wasi:io/streams", "output-stream");
  auto error = registry.resource("wasi:io/error", "error");
  auto& iface = registry.add("wasi:filesystem/types");
  auto descriptor =
      iface.resource("descriptor", detail::drop_from(&FsState::descriptors, "descriptor"));
  auto entry_stream =
      iface.resource("directory-entry-stream",
                     detail::drop_from(&FsState::entry_streams, "directory-entry-stream"));

  auto datetime_t = ty::record({{"seconds", ty::u64()}, {"nanoseconds", ty::u32()}});
  auto type_t = ty::enum_({"unknown", "block-device", "character-device", "directory", "fifo",
                           "symbolic-link", "regular-file", "socket"});
  auto flags_t = ty::flags({"read", "write", "file-integrity-sync", "data-integrity-sync",
                            "requested-write-sync", "mutate-directory"});
  auto stat_t = ty::record({{"type", type_t},
                            {"link-count", ty::u64()},
                            {"size", ty::u64()},
                            {"data-access-timestamp", ty::option(datetime_t)},
                            {"data-modification-timestamp", ty::option(datetime_t)},
                            {"status-change-timestamp", ty::option(datetime_t)}});
  auto path_flags_t = ty::flags({"symlink-follow"});
  auto open_flags_t = ty::flags({"create", "directory", "exclusive", "truncate"});
  auto new_timestamp_t =
      ty::variant({{"no-change", nullptr}, {"now", nullptr}, {"timestamp", datetime_t}});
  auto entry_t = ty::record({{"type", type_t}, {"name", ty::string()}});
  auto code_t = ty::enum_(kCodeLabels);
  auto advice_t =
      ty::enum_({"normal", "sequential", "random", "will-need", "dont-need", "no-reuse"});
  auto hash_t = ty::record({{"lower", ty::u64()}, {"upper", ty::u64()}});
  auto self = ty::borrow(descriptor);
  auto unit_r = ty::result(nullptr, code_t);
  auto r = [&](component::TypePtr ok) { return ty::result(std::move(ok), code_t); };
  auto method = [&](std::string name, component::FunctionType type, component::HostFunction fn) {
    define(iface, "[method]descriptor." + name, std::move(type), std::move(fn));
  };
  // A method that answers with a fixed error for every descriptor.
  auto refuse = [&](std::string name, component::FunctionType type, Code code) {
    method(std::move(name), std::move(type), [code](HostCall& c) -> Status {
      LEPTON_TRY(const Node* node, self_node(c));
      (void)node;
      c.results.push_back(err(code));
      return {};
    });
  };

  method("read-via-stream", ty::func({{"self", self}, {"offset", ty::u64()}}, {r(ty::own(input))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(Descriptor * d, self_desc(c));
           if (d->node->is_dir) {
             c.results.push_back(err(Code::kIsDirectory));
             return {};
           }
           auto stream = std::make_unique<FileInputStream>(d->tree, fs(c.instance).files, *d->node,
                                                           c.args[1].as_uint());
           c.results.push_back(Val::ok(Val::own(add_input_stream(c.instance, std::move(stream)))));
           return {};
         });
  refuse("write-via-stream",
         ty::func({{"self", self}, {"offset", ty::u64()}}, {r(ty::own(output))}), Code::kReadOnly);
  refuse("append-via-stream", ty::func({{"self", self}}, {r(ty::own(output))}), Code::kReadOnly);
  method(
      "advise",
      ty::func({{"self", self}, {"offset", ty::u64()}, {"length", ty::u64()}, {"advice", advice_t}},
               {unit_r}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(const Node* node, self_node(c));
        c.results.push_back(node->is_dir ? err(Code::kBadDescriptor) : Val::ok());
        return {};
      });
  // Nothing is ever written, so there is nothing to sync.
  for (const char* name : {"sync-data", "sync"}) {
    method(name, ty::func({{"self", self}}, {unit_r}), [](HostCall& c) -> Status {
      LEPTON_TRY(const Node* node, self_node(c));
      (void)node;
      c.results.push_back(Val::ok());
      return {};
    });
  }
  method("get-flags", ty::func({{"self", self}}, {r(flags_t)}), [](HostCall& c) -> Status {
    LEPTON_TRY(const Node* node, self_node(c));
    (void)node;
    c.results.push_back(Val::ok(Val::flags(kFlagRead)));
    return {};
  });
  method("get-type", ty::func({{"self", self}}, {r(type_t)}), [](HostCall& c) -> Status {
    LEPTON_TRY(const Node* node, self_node(c));
    c.results.push_back(Val::ok(Val::enum_(node->is_dir ? kTypeDirectory : kTypeRegularFile)));
    return {};
  });
  refuse("set-size", ty::func({{"self", self}, {"size", ty::u64()}}, {unit_r}), Code::kReadOnly);
  refuse("set-times",
         ty::func({{"self", self},
                   {"data-access-timestamp", new_timestamp_t},
                   {"data-modification-timestamp", new_timestamp_t}},
                  {unit_r}),
         Code::kReadOnly);
  method("read",
         ty::func({{"self", self}, {"length", ty::u64()}, {"offset", ty::u64()}},
                  {r(ty::tuple({ty::list(ty::u8()), ty::bool_()}))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(const Node* node, self_node(c));
           if (node->is_dir) {
             c.results.push_back(err(Code::kIsDirectory));
             return {};
           }
           auto h = fs(c.instance).files->open(*node);
           if (h.fd < 0) {
             c.results.push_back(err(h.error));
             return {};
           }
           uint64_t offset = c.args[2].as_uint();
           std::string buf(static_cast<size_t>(std::min(c.args[1].as_uint(), kMaxTransfer)), '\0');
           ssize_t n = 0;
           if (offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
             buf.clear();
           } else if (!buf.empty()) {
             do {
               n = ::pread(h.fd, buf.data(), buf.size(), static_cast<off_t>(offset));
             } while (n < 0 && errno == EINTR);
             if (n < 0) {
               c.results.push_back(err(from_errno(wasi::detail::from_host_errno(errno))));
               return {};
             }
           }
           // A short read means the end of the file was reached.
           bool eof = static_cast<size_t>(n) < buf.size() || buf.empty();
           buf.resize(static_cast<size_t>(n));
           c.results.push_back(Val::ok(Val::tuple({Val::bytes(std::move(buf)), Val::bool_(eof)})));
           return {};
         });
  refuse("write",
         ty::func({{"self", self}, {"buffer", ty::list(ty::u8())}, {"offset", ty::u64()}},
                  {r(ty::u64())}),
         Code::kReadOnly);
  method("read-directory", ty::func({{"self", self}}, {r(ty::own(entry_stream))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(const Node* node, self_node(c));
           if (!node->is_dir) {
             c.results.push_back(err(Code::kNotDirectory));
             return {};
           }
           uint32_t rep = fs(c.instance).entry_streams.insert(DirectoryEntries{node});
           c.results.push_back(Val::ok(Val::own(rep)));
           return {};
         });
  refuse("create-directory-at", ty::func({{"self", self}, {"path", ty::string()}}, {unit_r}),
         Code::kNotPermitted);
  method("stat", ty::func({{"self", self}}, {r(stat_t)}), [](HostCall& c) -> Status {
    LEPTON_TRY(const Node* node, self_node(c));
    c.results.push_back(stat_result(c.instance, *node));
    return {};
  });
  method(
      "stat-at",
      ty::func({{"self", self}, {"path-flags", path_flags_t}, {"path", ty::string()}}, {r(stat_t)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(const Node* node, self_node(c));
        Found f = find(*node, c.args[2].as_string());
        c.results.push_back(f.node ? stat_result(c.instance, *f.node) : err(f.error));
        return {};
      });
  refuse("set-times-at",
         ty::func({{"self", self},
                   {"path-flags", path_flags_t},
                   {"path", ty::string()},
                   {"data-access-timestamp", new_timestamp_t},
                   {"data-modification-timestamp", new_timestamp_t}},
                  {unit_r}),
         Code::kNotPermitted);
  refuse("link-at",
         ty::func({{"self", self},
                   {"old-path-flags", path_flags_t},
                   {"old-path", ty::string()},
                   {"new-descriptor", self},
                   {"new-path", ty::string()}},
                  {unit_r}),
         Code::kNotPermitted);
  method("open-at",
         ty::func({{"self", self},
                   {"path-flags", path_flags_t},
                   {"path", ty::string()},
                   {"open-flags", open_flags_t},
                   {"flags", flags_t}},
                  {r(ty::own(descriptor))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(Descriptor * self_d, self_desc(c));
           const Node* dir = self_d->node;
           uint32_t open_flags = c.args[3].flag_bits();
           uint32_t flags = c.args[4].flag_bits();
           if (!dir->is_dir) {
             c.results.push_back(err(Code::kNotDirectory));
             return {};
           }
           // Write intent is refused before the path is looked at, as Wasmtime does.
           if ((open_flags & (kOpenCreate | kOpenExclusive | kOpenTruncate)) ||
               (flags & (kFlagWrite | kFlagMutateDirectory))) {
             c.results.push_back(err(Code::kNotPermitted));
             return {};
           }
           Found f = find(*dir, c.args[2].as_string());
           if (f.node == nullptr) {
             c.results.push_back(err(f.error));
             return {};
           }
           if ((open_flags & kOpenDirectory) && !f.node->is_dir) {
             c.results.push_back(err(Code::kNotDirectory));
             return {};
           }
           if (!f.node->is_dir) {
             // Opening checks the host file now, as open(2) would.
             auto h = fs(c.instance).files->open(*f.node);
             if (h.fd < 0) {
               c.results.push_back(err(h.error));
               return {};
             }
           }
           std::shared_ptr<const wasi::FileTree> tree = self_d->tree;  // before insert moves slots
           uint32_t rep = fs(c.instance).descriptors.insert(Descriptor{std::move(tree), f.node});
           c.results.push_back(Val::ok(Val::own(rep)));
           return {};
         });
  method("readlink-at", ty::func({{"self", self}, {"path", ty::string()}}, {r(ty::string())}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(const Node* node, self_node(c));
           Found f = find(*node, c.args[1].as_string());
           // The tree has no symlinks: an existing name is not one (EINVAL, as readlink(2)).
           c.results.push_back(err(f.node ? Code::kInvalid : f.error));
           return {};
         });
  refuse("remove-directory-at", ty::func({{"self", self}, {"path", ty::string()}}, {unit_r}),
         Code::kNotPermitted);
  refuse("rename-at",
         ty::func({{"self", self},
                   {"old-path", ty::string()},
                   {"new-descriptor", self},
                   {"new-path", ty::string()}},
                  {unit_r}),
         Code::kNotPermitted);
  refuse(
      "symlink-at",
      ty::func({{"self", self}, {"old-path", ty::string()}, {"new-path", ty::string()}}, {unit_r}),
      Code::kNotPermitted);
  refuse("unlink-file-at", ty::func({{"self", self}, {"path", ty::string()}}, {unit_r}),
         Code::kNotPermitted);
  method("is-same-object", ty::func({{"self", self}, {"other", self}}, {ty::bool_()}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(const Node* a, self_node(c, 0));
           LEPTON_TRY(const Node* b, self_node(c, 1));
           c.results.push_back(Val::bool_(a == b));
           return {};
         });
  method("metadata-hash", ty::func({{"self", self}}, {r(hash_t)}), [](HostCall& c) -> Status {
    LEPTON_TRY(const Node* node, self_node(c));
    c.results.push_back(hash_result(c.instance, *node));
    return {};
  });
  method(
      "metadata-hash-at",
      ty::func({{"self", self}, {"path-flags", path_flags_t}, {"path", ty::string()}}, {r(hash_t)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(const Node* node, self_node(c));
        Found f = find(*node, c.args[2].as_string());
        c.results.push_back(f.node ? hash_result(c.instance, *f.node) : err(f.error));
        return {};
      });

  define(iface, "[method]directory-entry-stream.read-directory-entry",
         ty::func({{"self", ty::borrow(entry_stream)}}, {r(ty::option(entry_t))}),
         [](HostCall& c) -> Status {
           DirectoryEntries* d = fs(c.instance).entry_streams.get(c.args[0].rep());
           if (d == nullptr)
             return fail("wasi:filesystem: unknown directory-entry-stream {}", c.args[0].rep());
           if (d->next >= d->dir->children.size()) {
             c.results.push_back(Val::ok(Val::none()));
             return {};
           }
           const Node& child = *d->dir->children[d->next++];
           c.results.push_back(Val::ok(
               Val::some(Val::record({Val::enum_(child.is_dir ? kTypeDirectory : kTypeRegularFile),
                                      Val::string(child.name)}))));
           return {};
         });
  define(iface, "filesystem-error-code",
         ty::func({{"err", ty::borrow(error)}}, {ty::option(code_t)}), [](HostCall& c) -> Status {
           LEPTON_TRY(IoError * e, io_error(c.instance, c.args[0].rep()));
           if (e->domain == kFilesystemDomain && e->code) {
             c.results.push_back(Val::some(*e->code));
           } else {
             c.results.push_back(Val::none());
           }
           return {};
         });

  auto& preopens = registry.add("wasi:filesystem/preopens");
  define(preopens, "get-directories",
         ty::func({}, {ty::list(ty::tuple({ty::own(descriptor), ty::string()}))}),
         [](HostCall& c) -> Status {
           std::vector<Val> out;
           const Config* config = c.instance.find<Config>();
           if (config != nullptr && config->files && !config->files->empty()) {
             FsState& s = fs(c.instance);
             if (std::ranges::find(s.trees, config->files) == s.trees.end())
               s.trees.push_back(config->files);
             uint32_t rep = s.descriptors.insert(Descriptor{config->files, &config->files->root()});
             out.push_back(Val::tuple({Val::own(rep), Val::string("/")}));
           }
           c.results.push_back(Val::list(std::move(out)));
           return {};
         });
}

}  // namespace lepton::wasi2
