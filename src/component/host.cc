#include "component/host.h"

#include <cstdlib>

namespace lepton::component {

InstanceState::~InstanceState() {
  // Later states may refer to earlier ones (a body stream to its request): destroy in reverse.
  for (auto it = states_.rbegin(); it != states_.rend(); ++it) it->destroy(it->value);
}

ResourcePtr HostInterface::resource(std::string name, HostDrop drop) {
  auto type = std::make_shared<const Resource>(name);
  resources_.push_back({std::move(name), type, std::move(drop)});
  return type;
}

void HostInterface::function(std::string name, FunctionType type, HostFunction fn) {
  functions_.push_back({std::move(name), std::move(type), std::move(fn), off_loop_});
}

void HostInterface::run_off_loop() {
  off_loop_ = true;
  for (auto& f : functions_) f.off_loop = true;
}

const HostResourceDef* HostInterface::find_resource(std::string_view name) const {
  for (const auto& r : resources_)
    if (r.name == name) return &r;
  return nullptr;
}

const HostResourceDef* HostInterface::find_resource(const Resource& type) const {
  for (const auto& r : resources_)
    if (r.type.get() == &type) return &r;
  return nullptr;
}

const HostFunctionDef* HostInterface::find_function(std::string_view name) const {
  for (const auto& f : functions_)
    if (f.name == name) return &f;
  return nullptr;
}

std::string_view strip_version(std::string_view name) {
  size_t at = name.find('@');
  return at == std::string_view::npos ? name : name.substr(0, at);
}

HostInterface& HostRegistry::add(std::string_view name) {
  auto it = interfaces_.find(name);
  if (it != interfaces_.end()) return *it->second;
  auto iface = std::make_unique<HostInterface>(std::string(name));
  HostInterface& ref = *iface;
  interfaces_.emplace(std::string(name), std::move(iface));
  return ref;
}

const HostInterface* HostRegistry::find(std::string_view name) const {
  // An interface registered with its version ("spin:postgres/postgres@3.0.0") when versions
  // differ in their types; otherwise the one registered without a version.
  if (auto exact = interfaces_.find(name); exact != interfaces_.end()) return exact->second.get();
  auto it = interfaces_.find(strip_version(name));
  return it == interfaces_.end() ? nullptr : it->second.get();
}

ResourcePtr HostRegistry::resource(std::string_view interface, std::string_view name) const {
  const HostInterface* iface = find(interface);
  const HostResourceDef* def = iface != nullptr ? iface->find_resource(name) : nullptr;
  if (def == nullptr) std::abort();  // registration order: declare before use
  return def->type;
}

const HostResourceDef* HostRegistry::find_resource(const Resource& type) const {
  for (const auto& [name, iface] : interfaces_)
    if (const HostResourceDef* def = iface->find_resource(type)) return def;
  return nullptr;
}

void HostRegistry::add_core_imports(CoreImportProvider provider) {
  core_imports_.push_back(std::make_unique<CoreImportProvider>(std::move(provider)));
}

const CoreImportProvider* HostRegistry::find_core_imports(std::string_view module) const {
  for (const auto& p : core_imports_)
    if (p->module == module) return p.get();
  return nullptr;
}

}  // namespace lepton::component
