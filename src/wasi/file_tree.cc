// The read-only virtual file tree: built from the component's file mounts, resolved lexically.
#include <algorithm>
#include <ranges>

#include "wasi/internal.h"

namespace lepton::wasi {

using detail::Errno;

const FileTree::Node* FileTree::Node::child(std::string_view child_name) const {
  auto it = std::ranges::lower_bound(children, child_name, {},
                                     [](const auto& c) { return std::string_view(c->name); });
  if (it == children.end() || (*it)->name != child_name) return nullptr;
  return it->get();
}

FileTree::FileTree() = default;
FileTree::~FileTree() = default;

bool FileTree::empty() const { return root_->children.empty(); }

namespace {

using Node = FileTree::Node;

std::unique_ptr<Node> make_node(std::string name, const Node* parent, bool is_dir) {
  auto node = std::make_unique<Node>();
  node->name = std::move(name);
  node->parent = parent;
  node->ino = 0;
  node->is_dir = is_dir;
  return node;
}

void finish(Node& node, uint64_t& next_ino) {
  node.ino = next_ino++;
  std::ranges::sort(node.children, {}, [](const auto& c) { return std::string_view(c->name); });
  for (auto& c : node.children) finish(*c, next_ino);
}

}  // namespace

Result<std::shared_ptr<const FileTree>> FileTree::build(const std::vector<app::FileMount>& files) {
  auto tree = std::shared_ptr<FileTree>(new FileTree());
  tree->root_ = make_node("", nullptr, true);
  tree->root_->parent = tree->root_.get();

  for (const auto& mount : files) {
    const std::string& path = mount.guest_path;
    if (path.empty() || path.front() != '/')
      return fail("file mount '{}': the guest path must be absolute", path);
    std::vector<std::string_view> parts;
    for (auto part : std::views::split(std::string_view(path), '/')) {
      std::string_view name(part.begin(), part.end());
      if (name.empty() || name == ".") continue;
      if (name == "..") return fail("file mount '{}': the guest path may not contain '..'", path);
      if (name.find('\0') != std::string_view::npos)
        return fail("file mount '{}': the guest path contains a NUL byte", path);
      parts.push_back(name);
    }
    if (parts.empty()) return fail("file mount '{}': a file cannot be mounted at '/'", path);

    Node* dir = tree->root_.get();
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      Node* next = nullptr;
      for (auto& c : dir->children)
        if (c->name == parts[i]) next = c.get();
      if (next == nullptr) {
        dir->children.push_back(make_node(std::string(parts[i]), dir, true));
        next = dir->children.back().get();
      } else if (!next->is_dir) {
        return fail("file mount '{}': '{}' is mounted as a file and needed as a directory", path,
                    parts[i]);
      }
      dir = next;
    }
    std::string_view leaf = parts.back();
    for (auto& c : dir->children) {
      if (c->name != leaf) continue;
      if (c->is_dir)
        return fail("file mount '{}': the path is also a directory of other mounts", path);
      return fail("file mount '{}': the guest path is mounted twice", path);
    }
    auto file = make_node(std::string(leaf), dir, false);
    file->host_path = mount.host_path;
    dir->children.push_back(std::move(file));
    ++tree->file_count_;
  }
  // Children were appended unsorted for building (mount lists are small enough for the linear
  // scans above); sort once and number the nodes depth-first, the root being inode 1.
  uint64_t next_ino = 1;
  finish(*tree->root_, next_ino);
  return std::shared_ptr<const FileTree>(std::move(tree));
}

namespace detail {

Lookup resolve(const Node& start, std::string_view path) {
  if (path.empty()) return {nullptr, Errno::Noent, false};
  if (path.size() > kMaxPathLen) return {nullptr, Errno::Nametoolong, false};
  if (path.find('\0') != std::string_view::npos) return {nullptr, Errno::Inval, false};
  // WASI paths are relative to a directory descriptor; an absolute one is an escape attempt
  // (Wasmtime answers PERM too). wasi-libc strips the preopen's "/" before calling, so
  // open("/etc/passwd") arrives here as "etc/passwd" and simply does not exist.
  if (path.front() == '/') return {nullptr, Errno::Perm, false};

  const Node* cur = &start;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    bool last = slash == std::string_view::npos;
    std::string_view name = path.substr(pos, last ? std::string_view::npos : slash - pos);
    pos = last ? path.size() + 1 : slash + 1;
    if (name.empty()) {
      // "a//b" or a trailing slash: only a directory may be followed by one.
      if (!cur->is_dir) return {nullptr, Errno::Notdir, false};
      continue;
    }
    if (!cur->is_dir) return {nullptr, Errno::Notdir, false};
    if (name == ".") continue;
    if (name == "..") {
      cur = cur->parent;
      continue;
    }
    if (name.size() > 255) return {nullptr, Errno::Nametoolong, false};
    const Node* next = cur->child(name);
    if (next == nullptr) {
      // Only the last component may be missing for a create to make sense ("dir/new" or
      // "dir/new/"); anything further down cannot exist.
      bool leaf = last || path.find_first_not_of('/', pos) == std::string_view::npos;
      return {nullptr, Errno::Noent, leaf};
    }
    cur = next;
  }
  return {cur, Errno::Success, false};
}

}  // namespace detail
}  // namespace lepton::wasi
