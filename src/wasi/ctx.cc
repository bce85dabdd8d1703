// The per-request context: argv/env blobs, the fd table, the host descriptor cache.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "engine/store.h"
#include "wasi/internal.h"

namespace lepton::wasi {

using detail::Errno;
using detail::FdEntry;
using detail::FdKind;

namespace {

void pack(const std::vector<std::string>& strings, std::string& blob,
          std::vector<uint32_t>& offsets) {
  offsets.reserve(strings.size());
  for (const auto& s : strings) {
    offsets.push_back(static_cast<uint32_t>(blob.size()));
    blob += s;
    blob.push_back('\0');
  }
}

}  // namespace

Preview1Ctx::Preview1Ctx(Preview1Config config) : config_(std::move(config)) {
  pack(config_.args, args_blob_, args_offsets_);
  env_offsets_.reserve(config_.env.size());
  for (const auto& [key, value] : config_.env) {
    env_offsets_.push_back(static_cast<uint32_t>(env_blob_.size()));
    env_blob_.append(key).push_back('=');
    env_blob_.append(value).push_back('\0');
  }

  fds_.reserve(4);
  fds_.resize(3);
  fds_[0] = FdEntry{.kind = FdKind::Stdin,
                    .rights_base = abi::kRightFdRead,
                    .rights_inheriting = abi::kRightFdRead};
  fds_[1] = FdEntry{.kind = FdKind::Stdout,
                    .rights_base = abi::kRightFdWrite,
                    .rights_inheriting = abi::kRightFdWrite};
  fds_[2] = FdEntry{.kind = FdKind::Stderr,
                    .rights_base = abi::kRightFdWrite,
                    .rights_inheriting = abi::kRightFdWrite};
  if (config_.files && !config_.files->empty()) {
    fds_.push_back(FdEntry{.kind = FdKind::Dir,
                           .node = &config_.files->root(),
                           .rights_base = abi::kDirRightsBase,
                           .rights_inheriting = abi::kDirRightsInheriting,
                           .preopen = true});
  }
}

Preview1Ctx::~Preview1Ctx() {
  for (auto& h : host_fds_)
    if (h.fd >= 0) ::close(h.fd);
}

std::string_view Preview1Ctx::stdin_rest() const {
  std::string_view all = config_.stdin_data;
  return stdin_pos_ >= all.size() ? std::string_view() : all.substr(stdin_pos_);
}

FdEntry* Preview1Ctx::fd(uint32_t fd) {
  if (fd >= fds_.size() || fds_[fd].kind == FdKind::Closed) return nullptr;
  return &fds_[fd];
}

std::optional<uint32_t> Preview1Ctx::allocate(const FdEntry& entry) {
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i].kind == FdKind::Closed) {
      fds_[i] = entry;
      return static_cast<uint32_t>(i);
    }
  }
  if (fds_.size() >= detail::kMaxFds) return std::nullopt;
  fds_.push_back(entry);
  return static_cast<uint32_t>(fds_.size() - 1);
}

bool Preview1Ctx::close(uint32_t fd) {
  if (this->fd(fd) == nullptr) return false;
  fds_[fd] = FdEntry{};
  while (!fds_.empty() && fds_.back().kind == FdKind::Closed) fds_.pop_back();
  return true;
}

bool Preview1Ctx::renumber(uint32_t from, uint32_t to) {
  if (fd(from) == nullptr || fd(to) == nullptr) return false;
  if (from == to) return true;
  fds_[to] = fds_[from];
  return close(from);
}

Preview1Ctx::HostFd Preview1Ctx::host_fd(const detail::Node& node) {
  ++host_fd_clock_;
  CachedHostFd* victim = &host_fds_[0];
  for (auto& h : host_fds_) {
    if (h.node == &node) {
      h.last_use = host_fd_clock_;
      return {h.fd, Errno::Success};
    }
    if (h.last_use < victim->last_use) victim = &h;
  }
  int fd;
  do {
    fd = ::open(node.host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return {-1, detail::from_host_errno(errno)};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return {-1, Errno::Noent};  // only regular files are mounted; anything else is not there
  }
  if (victim->fd >= 0) ::close(victim->fd);
  *victim = {&node, fd, host_fd_clock_};
  return {fd, Errno::Success};
}

uint64_t Preview1Ctx::cputime_ns() {
  struct timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  uint64_t now =
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
  if (!cputime_base_) cputime_base_ = now;
  return now >= *cputime_base_ ? now - *cputime_base_ : 0;
}

namespace detail {

Errno from_host_errno(int host_errno) {
  switch (host_errno) {
    case ENOENT:
      return Errno::Noent;
    case EACCES:
      return Errno::Acces;
    case EPERM:
      return Errno::Perm;
    case EISDIR:
      return Errno::Isdir;
    case ENOTDIR:
      return Errno::Notdir;
    case ELOOP:
      return Errno::Loop;
    case EMFILE:
      return Errno::Mfile;
    case ENFILE:
      return Errno::Nfile;
    case ENOMEM:
      return Errno::Nomem;
    case ENAMETOOLONG:
      return Errno::Nametoolong;
    case EINVAL:
      return Errno::Inval;
    case EOVERFLOW:
      return Errno::Overflow;
    default:
      return Errno::Io;
  }
}

}  // namespace detail

Preview1CtxPtr make_preview1(Preview1Config config) {
  return Preview1CtxPtr(new Preview1Ctx(std::move(config)), [](Preview1Ctx* c) { delete c; });
}

void attach(Preview1Ctx& ctx, wasmtime_context_t* store) {
  engine::StoreData::of(store).set<Preview1Ctx>(&ctx);
}

std::optional<int> exit_code(const Preview1Ctx& ctx) { return ctx.exit_code(); }

}  // namespace lepton::wasi
