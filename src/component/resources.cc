#include "component/resources.h"

namespace lepton::component {

namespace {

Status check_type(const ResourceHandle& h, const Resource& type, uint32_t index) {
  if (h.type.get() == &type) return {};
  if (h.type->name() == type.name())
    return fail("canonical ABI: resource handle {} has a different resource type named `{}`", index,
                type.name());
  return fail("canonical ABI: resource handle {} has type `{}`, expected `{}`", index,
              h.type->name(), type.name());
}

}  // namespace

Result<uint32_t> HandleTable::add(ResourceHandle handle) {
  if (!free_.empty()) {
    uint32_t i = free_.back();
    free_.pop_back();
    slots_[i] = std::move(handle);
    return i;
  }
  if (slots_.size() > kMaxLength)
    return fail("canonical ABI: handle table full ({} handles)", kMaxLength);
  slots_.emplace_back(std::move(handle));
  return static_cast<uint32_t>(slots_.size() - 1);
}

Result<ResourceHandle*> HandleTable::get(uint32_t index) {
  if (index == 0 || index >= slots_.size() || !slots_[index])
    return fail("canonical ABI: resource handle {} is not in the table (dropped or never created)",
                index);
  return &*slots_[index];
}

Result<ResourceHandle> HandleTable::remove(uint32_t index) {
  LEPTON_TRY(ResourceHandle * h, get(index));
  ResourceHandle out = std::move(*h);
  slots_[index].reset();
  free_.push_back(index);
  return out;
}

Status ExportCall::finish() const {
  if (num_borrows_ > 0)
    return fail("canonical ABI: {} borrowed handle(s) not dropped before the call returned",
                num_borrows_);
  return {};
}

void ImportCall::finish() {
  for (uint32_t i : lenders_) {
    auto h = table_.get(i);
    if (h.ok() && (*h)->num_lends > 0) --(*h)->num_lends;
  }
  lenders_.clear();
}

Result<uint32_t> resource_new(HandleTable& table, const ResourcePtr& type, uint32_t rep) {
  return table.add(ResourceHandle{.type = type, .rep = rep, .own = true});
}

Result<uint32_t> resource_rep(HandleTable& table, const Resource& type, uint32_t index) {
  LEPTON_TRY(ResourceHandle * h, table.get(index));
  LEPTON_CHECK(check_type(*h, type, index));
  return h->rep;
}

Status resource_drop(HandleTable& table, const Resource& type, uint32_t index) {
  LEPTON_TRY(ResourceHandle * h, table.get(index));
  LEPTON_CHECK(check_type(*h, type, index));
  if (h->num_lends != 0)
    return fail("canonical ABI: cannot drop resource handle {}: it is lent to {} ongoing call(s)",
                index, h->num_lends);
  LEPTON_TRY(ResourceHandle removed, table.remove(index));
  if (!removed.own) {
    if (removed.borrow_scope != nullptr) --removed.borrow_scope->num_borrows_;
    return {};
  }
  if (const auto& dtor = removed.type->destructor()) {
    Status s = dtor(removed.rep);
    if (!s.ok())
      return std::move(s).error().context(fmt::format("destructor of `{}`", type.name()));
  }
  return {};
}

Result<uint32_t> lift_own(HandleTable& table, const Resource& type, uint32_t index) {
  LEPTON_TRY(ResourceHandle * h, table.get(index));
  LEPTON_CHECK(check_type(*h, type, index));
  if (!h->own)
    return fail("canonical ABI: resource handle {} is a borrow where an own handle is required",
                index);
  if (h->num_lends != 0)
    return fail("canonical ABI: cannot move resource handle {}: it is lent to {} ongoing call(s)",
                index, h->num_lends);
  LEPTON_TRY(ResourceHandle removed, table.remove(index));
  return removed.rep;
}

Result<uint32_t> lift_borrow(HandleTable& table, const Resource& type, uint32_t index,
                             ImportCall* call) {
  if (call == nullptr) return fail("canonical ABI: borrow<{}> lifted outside a call", type.name());
  LEPTON_TRY(ResourceHandle * h, table.get(index));
  LEPTON_CHECK(check_type(*h, type, index));
  ++h->num_lends;
  call->lenders_.push_back(index);
  return h->rep;
}

Result<uint32_t> lower_own(HandleTable& table, const ResourcePtr& type, uint32_t rep) {
  return table.add(ResourceHandle{.type = type, .rep = rep, .own = true});
}

Result<uint32_t> lower_borrow(HandleTable& table, const ResourcePtr& type, uint32_t rep,
                              ExportCall* call) {
  if (type->owner() == &table ||
      (type->defined_by_component() && type->component_instance() == table.instance()))
    return rep;
  if (call == nullptr)
    return fail("canonical ABI: borrow<{}> lowered outside a call", type->name());
  LEPTON_TRY(uint32_t index, table.add(ResourceHandle{
                                 .type = type, .rep = rep, .own = false, .borrow_scope = call}));
  ++call->num_borrows_;
  return index;
}

}  // namespace lepton::component
