// The resolved component-model value types the canonical ABI works on: an immutable tree of
// shared `Type` nodes, each carrying its canonical-ABI layout (alignment, size, flattening)
// computed once when the node is built. Resource types are `Resource` objects compared by
// identity (each instantiation of a component defining a resource makes a new one).
//
// These are the resolved types; the binary-format model (binary_types.h) lives in
// lepton::component::binary, where `binary::FuncType`, `binary::ResourceType`, `binary::Value`,
// ... are the entries as written in a component binary.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace lepton::component {

class HandleTable;

// A resource type. Identity matters: two `Resource` objects are different types even with the
// same name. `owner` is the handle table of the component instance that implements it (nullptr
// for resources the host implements); `destructor` runs when an owning handle is dropped.
class Resource {
 public:
  using Destructor = std::function<Status(uint32_t rep)>;

  explicit Resource(std::string name, const HandleTable* owner = nullptr, Destructor dtor = {})
      : name_(std::move(name)), owner_(owner), destructor_(std::move(dtor)) {}
  Resource(const Resource&) = delete;
  Resource& operator=(const Resource&) = delete;

  const std::string& name() const { return name_; }
  const HandleTable* owner() const { return owner_; }
  // Defined by the component being run (not the host). A component template is shared by all
  // its instances, so such a resource has no fixed owner table; it is implemented by the
  // component instance numbered `component_instance()` within the template (0 for the
  // top-level component, one number per nested instantiation; see HandleTable::instance()).
  bool defined_by_component() const { return defined_by_component_; }
  uint32_t component_instance() const { return component_instance_; }
  static std::shared_ptr<const Resource> component_defined(std::string name,
                                                           uint32_t component_instance = 0) {
    auto r = std::make_shared<Resource>(std::move(name));
    r->defined_by_component_ = true;
    r->component_instance_ = component_instance;
    return r;
  }
  const Destructor& destructor() const { return destructor_; }

 private:
  std::string name_;
  const HandleTable* owner_;
  bool defined_by_component_ = false;
  uint32_t component_instance_ = 0;
  Destructor destructor_;
};
using ResourcePtr = std::shared_ptr<const Resource>;

// A core WebAssembly value type produced by flattening.
enum class CoreType : uint8_t { kI32, kI64, kF32, kF64 };
std::string_view core_type_name(CoreType type);

class Type;
using TypePtr = std::shared_ptr<const Type>;

class Type {
 public:
  enum class Kind : uint8_t {
    kBool,
    kS8,
    kU8,
    kS16,
    kU16,
    kS32,
    kU32,
    kS64,
    kU64,
    kF32,
    kF64,
    kChar,
    kString,
    kList,
    kFixedList,
    kRecord,
    kTuple,
    kVariant,
    kEnum,
    kOption,
    kResult,
    kFlags,
    kOwn,
    kBorrow,
  };
  struct Field {
    std::string name;
    TypePtr type;
    uint32_t offset = 0;  // byte offset inside the record (filled in by record()/tuple())
  };
  struct Case {
    std::string name;
    TypePtr type;  // nullptr: the case has no payload
  };

  // Flattenings longer than this are not stored: such types are passed through memory in every
  // function signature (MAX_FLAT_PARAMS is 16).
  static constexpr uint32_t kMaxStoredFlat = 64;
  // Types nested deeper than this are rejected (lifting and lowering recurse over the tree).
  static constexpr uint32_t kMaxDepth = 100;
  static constexpr uint32_t kMaxFlags = 32;

  // Checked constructors: errors name the violated rule (empty record, too many flags, a type
  // larger than 4 GiB, nesting deeper than kMaxDepth).
  static TypePtr primitive(Kind kind);  // kBool..kString; other kinds are a programming error
  static Result<TypePtr> list(TypePtr element);
  static Result<TypePtr> fixed_list(TypePtr element, uint32_t length);
  static Result<TypePtr> record(std::vector<Field> fields);
  static Result<TypePtr> tuple(std::vector<TypePtr> types);
  static Result<TypePtr> variant(std::vector<Case> cases);
  static Result<TypePtr> enumeration(std::vector<std::string> labels);
  static Result<TypePtr> option(TypePtr some);
  static Result<TypePtr> result(TypePtr ok, TypePtr error);  // either may be nullptr
  static Result<TypePtr> flags(std::vector<std::string> labels);
  static Result<TypePtr> own(ResourcePtr resource);
  static Result<TypePtr> borrow(ResourcePtr resource);

  Kind kind() const { return kind_; }
  bool is_primitive() const { return kind_ <= Kind::kString; }
  // kList, kFixedList: the element type. kOption: the payload of `some`.
  const TypePtr& element() const { return element_; }
  uint32_t length() const { return length_; }  // kFixedList
  // kRecord, kTuple (fields named "0", "1", …).
  std::span<const Field> fields() const { return fields_; }
  // kVariant, kEnum, kOption (none, some), kResult (ok, error): the despecialized cases.
  std::span<const Case> cases() const { return cases_; }
  std::span<const std::string> labels() const { return labels_; }  // kFlags
  const ResourcePtr& resource() const { return resource_; }        // kOwn, kBorrow

  // Canonical ABI layout (32-bit memories).
  uint32_t alignment() const { return alignment_; }
  uint32_t size() const { return size_; }
  uint32_t discriminant_size() const { return discriminant_size_; }  // variant-like kinds
  uint32_t payload_offset() const { return payload_offset_; }        // variant-like kinds
  // The number of core values this type flattens to (saturating), and the core types themselves
  // when there are at most kMaxStoredFlat of them.
  uint32_t flat_count() const { return flat_count_; }
  bool flat_stored() const { return flat_count_ <= kMaxStoredFlat; }
  std::span<const CoreType> flat() const { return flat_; }
  uint32_t depth() const { return depth_; }
  bool is_variant_like() const {
    return kind_ == Kind::kVariant || kind_ == Kind::kEnum || kind_ == Kind::kOption ||
           kind_ == Kind::kResult;
  }
  // True when the type contains own or borrow handles anywhere.
  bool has_handles() const { return has_handles_; }

  // WIT-like spelling: "list<tuple<u32, string>>", "record { a: u8 }", "own<fields>".
  std::string to_string() const;

  // Use the factories above; public only for std::make_shared.
  explicit Type(Kind kind) : kind_(kind) {}

 private:
  static Result<TypePtr> finish(std::shared_ptr<Type> type);
  static Result<TypePtr> make_variant_like(Kind kind, std::vector<Case> cases,
                                           TypePtr element = nullptr);

  Kind kind_;
  uint32_t length_ = 0;
  TypePtr element_;
  std::vector<Field> fields_;
  std::vector<Case> cases_;
  std::vector<std::string> labels_;
  ResourcePtr resource_;

  uint32_t alignment_ = 1;
  uint32_t size_ = 0;
  uint32_t discriminant_size_ = 0;
  uint32_t payload_offset_ = 0;
  uint32_t flat_count_ = 0;
  uint32_t depth_ = 1;
  bool has_handles_ = false;
  std::vector<CoreType> flat_;
};

std::string_view kind_name(Type::Kind kind);

// A resolved component function type. Results hold zero or one type (multiple named results
// were removed from the component model), but any number is handled.
struct FunctionType {
  std::vector<std::string> param_names;
  std::vector<TypePtr> params;
  std::vector<TypePtr> results;
};

// Terse constructors for host-interface definitions and tests. They abort on an invalid type
// (a programming error in a hand-written type); types read from binaries use Type's factories.
namespace ty {
TypePtr bool_();
TypePtr s8();
TypePtr u8();
TypePtr s16();
TypePtr u16();
TypePtr s32();
TypePtr u32();
TypePtr s64();
TypePtr u64();
TypePtr f32();
TypePtr f64();
TypePtr char_();
TypePtr string();
TypePtr list(TypePtr element);
TypePtr list(TypePtr element, uint32_t length);  // fixed-size list
TypePtr record(std::initializer_list<std::pair<std::string, TypePtr>> fields);
TypePtr tuple(std::vector<TypePtr> types);
TypePtr variant(std::initializer_list<std::pair<std::string, TypePtr>> cases);
TypePtr enum_(std::vector<std::string> labels);
TypePtr option(TypePtr some);
TypePtr result(TypePtr ok, TypePtr error);
TypePtr flags(std::vector<std::string> labels);
TypePtr own(ResourcePtr resource);
TypePtr borrow(ResourcePtr resource);
FunctionType func(std::initializer_list<std::pair<std::string, TypePtr>> params,
                  std::vector<TypePtr> results);
}  // namespace ty

}  // namespace lepton::component
