// Resource handles of one component instance (the spec's `inst.handles` holding
// `ResourceHandle`s): a table with a free list, own and borrow handles, lend counting for borrows
// lent to a call, borrow-scope counting for borrows given to a call, and the canonical built-ins
// resource.new / resource.rep / resource.drop. Every spec trap is an Error naming the condition.
//
// Call scopes for synchronous calls:
//   * ImportCall (spec: Subtask) — the guest calls a host/other-component import. Borrows the
//     guest passes are lifted with lift_borrow(), which lends the guest's handle for the call;
//     finish() (or the destructor) returns the lends.
//   * ExportCall (spec: Task) — the host calls a guest export. Borrows passed in are lowered with
//     lower_borrow() into fresh borrow handles the callee must drop before returning; finish()
//     traps if any is left.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"
#include "component/types.h"

namespace lepton::component {

class ExportCall;

struct ResourceHandle {
  ResourcePtr type;
  uint32_t rep = 0;
  bool own = false;
  ExportCall* borrow_scope = nullptr;  // borrow handles: the call they were lent into
  uint32_t num_lends = 0;              // live borrows of this handle lent to ongoing calls
};

class HandleTable {
 public:
  static constexpr uint32_t kMaxLength = (1u << 28) - 1;

  // `instance`: the number of the component instance the table belongs to within its template
  // (Resource::component_instance()).
  explicit HandleTable(uint32_t instance = 0) : instance_(instance) {
    slots_.emplace_back();  // index 0 is never a valid handle
  }
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  Result<uint32_t> add(ResourceHandle handle);
  Result<ResourceHandle*> get(uint32_t index);
  Result<ResourceHandle> remove(uint32_t index);
  // Live handles.
  size_t size() const { return slots_.size() - 1 - free_.size(); }
  uint32_t instance() const { return instance_; }

 private:
  uint32_t instance_;
  std::vector<std::optional<ResourceHandle>> slots_;
  std::vector<uint32_t> free_;
};

class ExportCall {
 public:
  ExportCall() = default;
  ExportCall(const ExportCall&) = delete;
  ExportCall& operator=(const ExportCall&) = delete;

  uint32_t num_borrows() const { return num_borrows_; }
  // At the callee's return (task.return): traps when borrow handles outlive the call.
  Status finish() const;

 private:
  friend Result<uint32_t> lower_borrow(HandleTable&, const ResourcePtr&, uint32_t, ExportCall*);
  friend Status resource_drop(HandleTable&, const Resource&, uint32_t);
  uint32_t num_borrows_ = 0;
};

class ImportCall {
 public:
  explicit ImportCall(HandleTable& table) : table_(table) {}
  ~ImportCall() { finish(); }
  ImportCall(const ImportCall&) = delete;
  ImportCall& operator=(const ImportCall&) = delete;

  // When the call has returned: gives back every handle lent to it. Idempotent.
  void finish();
  size_t num_lenders() const { return lenders_.size(); }

 private:
  friend Result<uint32_t> lift_borrow(HandleTable&, const Resource&, uint32_t, ImportCall*);
  HandleTable& table_;
  std::vector<uint32_t> lenders_;  // indices into table_; lent handles cannot be removed
};

// canon resource.new: a new own handle for `rep`.
Result<uint32_t> resource_new(HandleTable& table, const ResourcePtr& type, uint32_t rep);
// canon resource.rep: the rep of handle `index` (own or borrow) of resource `type`.
Result<uint32_t> resource_rep(HandleTable& table, const Resource& type, uint32_t index);
// canon resource.drop: removes the handle; an own handle runs the type's destructor, a borrow
// handle ends its borrow in the call it was lent into.
Status resource_drop(HandleTable& table, const Resource& type, uint32_t index);

// Lifting and lowering of handle values (used by the canonical ABI).
// own<T> out of the table: the handle moves to the receiver, which gets its rep.
Result<uint32_t> lift_own(HandleTable& table, const Resource& type, uint32_t index);
// borrow<T>: the handle stays; it is lent to `call` until the call finishes.
Result<uint32_t> lift_borrow(HandleTable& table, const Resource& type, uint32_t index,
                             ImportCall* call);
// own<T> into the table: a new own handle.
Result<uint32_t> lower_own(HandleTable& table, const ResourcePtr& type, uint32_t rep);
// borrow<T> into the table for the duration of `call`; a resource the receiving instance
// implements itself is passed as its rep.
Result<uint32_t> lower_borrow(HandleTable& table, const ResourcePtr& type, uint32_t rep,
                              ExportCall* call);

}  // namespace lepton::component
