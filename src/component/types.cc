#include "component/types.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace lepton::component {

namespace {

constexpr uint64_t kMaxSize = std::numeric_limits<uint32_t>::max();

uint64_t align_to(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

uint32_t saturate(uint64_t n) {
  return n > kMaxSize ? static_cast<uint32_t>(kMaxSize) : static_cast<uint32_t>(n);
}

// The spec's discriminant_type: the smallest unsigned integer holding every case index.
uint32_t discriminant_bytes(size_t cases) {
  if (cases <= (1u << 8)) return 1;
  if (cases <= (1u << 16)) return 2;
  return 4;
}

uint32_t flags_size(size_t labels) {
  if (labels <= 8) return 1;
  if (labels <= 16) return 2;
  return 4;
}

// The spec's join: the core type both a and b can be carried in.
CoreType join(CoreType a, CoreType b) {
  if (a == b) return a;
  if ((a == CoreType::kI32 && b == CoreType::kF32) || (a == CoreType::kF32 && b == CoreType::kI32))
    return CoreType::kI32;
  return CoreType::kI64;
}

void set_primitive_layout(Type::Kind kind, uint32_t& size, uint32_t& alignment,
                          std::vector<CoreType>& flat) {
  using K = Type::Kind;
  switch (kind) {
    case K::kBool:
    case K::kS8:
    case K::kU8:
      size = alignment = 1;
      flat = {CoreType::kI32};
      break;
    case K::kS16:
    case K::kU16:
      size = alignment = 2;
      flat = {CoreType::kI32};
      break;
    case K::kS32:
    case K::kU32:
    case K::kChar:
      size = alignment = 4;
      flat = {CoreType::kI32};
      break;
    case K::kS64:
    case K::kU64:
      size = alignment = 8;
      flat = {CoreType::kI64};
      break;
    case K::kF32:
      size = alignment = 4;
      flat = {CoreType::kF32};
      break;
    case K::kF64:
      size = alignment = 8;
      flat = {CoreType::kF64};
      break;
    case K::kString:
      size = 8;
      alignment = 4;
      flat = {CoreType::kI32, CoreType::kI32};
      break;
    default:
      break;
  }
}

[[noreturn]] void die(const Error& error) {
  std::fprintf(stderr, "lepton: invalid hand-written component type: %s\n", error.message.c_str());
  std::abort();
}

TypePtr must(Result<TypePtr> type) {
  if (!type.ok()) die(type.error());
  return std::move(type).value();
}

}  // namespace

std::string_view core_type_name(CoreType type) {
  switch (type) {
    case CoreType::kI32:
      return "i32";
    case CoreType::kI64:
      return "i64";
    case CoreType::kF32:
      return "f32";
    case CoreType::kF64:
      return "f64";
  }
  return "?";
}

std::string_view kind_name(Type::Kind kind) {
  using K = Type::Kind;
  switch (kind) {
    case K::kBool:
      return "bool";
    case K::kS8:
      return "s8";
    case K::kU8:
      return "u8";
    case K::kS16:
      return "s16";
    case K::kU16:
      return "u16";
    case K::kS32:
      return "s32";
    case K::kU32:
      return "u32";
    case K::kS64:
      return "s64";
    case K::kU64:
      return "u64";
    case K::kF32:
      return "f32";
    case K::kF64:
      return "f64";
    case K::kChar:
      return "char";
    case K::kString:
      return "string";
    case K::kList:
      return "list";
    case K::kFixedList:
      return "fixed-size list";
    case K::kRecord:
      return "record";
    case K::kTuple:
      return "tuple";
    case K::kVariant:
      return "variant";
    case K::kEnum:
      return "enum";
    case K::kOption:
      return "option";
    case K::kResult:
      return "result";
    case K::kFlags:
      return "flags";
    case K::kOwn:
      return "own";
    case K::kBorrow:
      return "borrow";
  }
  return "?";
}

TypePtr Type::primitive(Kind kind) {
  assert(kind <= Kind::kString);
  auto type = std::make_shared<Type>(kind);
  set_primitive_layout(kind, type->size_, type->alignment_, type->flat_);
  type->flat_count_ = static_cast<uint32_t>(type->flat_.size());
  return type;
}

// Computes layout, flattening, depth and handle presence from the children; rejects types the
// canonical ABI cannot represent in a 32-bit memory.
Result<TypePtr> Type::finish(std::shared_ptr<Type> t) {
  uint32_t child_depth = 0;
  auto visit = [&](const TypePtr& child) {
    child_depth = std::max(child_depth, child->depth_);
    t->has_handles_ = t->has_handles_ || child->has_handles_;
  };
  uint64_t size = 0;
  uint64_t flat_count = 0;
  std::vector<CoreType> flat;

  switch (t->kind_) {
    case Kind::kList:
      visit(t->element_);
      t->alignment_ = 4;
      size = 8;
      flat = {CoreType::kI32, CoreType::kI32};
      flat_count = 2;
      break;
    case Kind::kFixedList: {
      visit(t->element_);
      const Type& e = *t->element_;
      t->alignment_ = e.alignment_;
      size = uint64_t{e.size_} * t->length_;
      flat_count = uint64_t{e.flat_count_} * t->length_;
      if (flat_count <= kMaxStoredFlat) {
        for (uint32_t i = 0; i < t->length_; ++i)
          flat.insert(flat.end(), e.flat_.begin(), e.flat_.end());
      }
      break;
    }
    case Kind::kRecord:
    case Kind::kTuple: {
      uint32_t alignment = 1;
      for (Field& f : t->fields_) {
        visit(f.type);
        size = align_to(size, f.type->alignment_);
        if (size > kMaxSize) return fail("component type too large (over 4 GiB)");
        f.offset = static_cast<uint32_t>(size);
        size += f.type->size_;
        alignment = std::max(alignment, f.type->alignment_);
        flat_count += f.type->flat_count_;
        if (flat_count <= kMaxStoredFlat)
          flat.insert(flat.end(), f.type->flat_.begin(), f.type->flat_.end());
      }
      t->alignment_ = alignment;
      size = align_to(size, alignment);
      break;
    }
    case Kind::kVariant:
    case Kind::kEnum:
    case Kind::kOption:
    case Kind::kResult: {
      uint32_t disc = discriminant_bytes(t->cases_.size());
      uint32_t case_alignment = 1;
      uint64_t case_size = 0;
      uint64_t payload_flat = 0;
      bool stored = true;
      std::vector<CoreType> joined;
      for (const Case& c : t->cases_) {
        if (!c.type) continue;
        visit(c.type);
        case_alignment = std::max(case_alignment, c.type->alignment_);
        case_size = std::max<uint64_t>(case_size, c.type->size_);
        payload_flat = std::max<uint64_t>(payload_flat, c.type->flat_count_);
        if (!c.type->flat_stored()) stored = false;
        if (!stored) continue;
        for (size_t i = 0; i < c.type->flat_.size(); ++i) {
          if (i < joined.size()) {
            joined[i] = join(joined[i], c.type->flat_[i]);
          } else {
            joined.push_back(c.type->flat_[i]);
          }
        }
      }
      t->discriminant_size_ = disc;
      t->alignment_ = std::max(disc, case_alignment);
      t->payload_offset_ = static_cast<uint32_t>(align_to(disc, case_alignment));
      size = align_to(t->payload_offset_ + case_size, t->alignment_);
      flat_count = 1 + payload_flat;
      if (stored && flat_count <= kMaxStoredFlat) {
        flat.push_back(CoreType::kI32);
        flat.insert(flat.end(), joined.begin(), joined.end());
      }
      break;
    }
    case Kind::kFlags:
      size = t->alignment_ = flags_size(t->labels_.size());
      flat = {CoreType::kI32};
      flat_count = 1;
      break;
    case Kind::kOwn:
    case Kind::kBorrow:
      t->has_handles_ = true;
      size = t->alignment_ = 4;
      flat = {CoreType::kI32};
      flat_count = 1;
      break;
    default:
      return fail("not a compound type: {}", kind_name(t->kind_));
  }

  if (size > kMaxSize) return fail("component type too large ({} bytes, over 4 GiB)", size);
  t->size_ = static_cast<uint32_t>(size);
  t->depth_ = child_depth + 1;
  if (t->depth_ > kMaxDepth) return fail("component type nested deeper than {}", kMaxDepth);
  t->flat_count_ = saturate(flat_count);
  if (t->flat_stored()) t->flat_ = std::move(flat);
  return TypePtr(std::move(t));
}

Result<TypePtr> Type::list(TypePtr element) {
  if (!element) return fail("list without an element type");
  auto t = std::make_shared<Type>(Kind::kList);
  t->element_ = std::move(element);
  return finish(std::move(t));
}

Result<TypePtr> Type::fixed_list(TypePtr element, uint32_t length) {
  if (!element) return fail("fixed-size list without an element type");
  if (length == 0) return fail("fixed-size list of length 0");
  auto t = std::make_shared<Type>(Kind::kFixedList);
  t->element_ = std::move(element);
  t->length_ = length;
  return finish(std::move(t));
}

Result<TypePtr> Type::record(std::vector<Field> fields) {
  if (fields.empty()) return fail("record without fields");
  for (const Field& f : fields) {
    if (!f.type) return fail("record field '{}' without a type", f.name);
  }
  auto t = std::make_shared<Type>(Kind::kRecord);
  t->fields_ = std::move(fields);
  return finish(std::move(t));
}

Result<TypePtr> Type::tuple(std::vector<TypePtr> types) {
  if (types.empty()) return fail("tuple without elements");
  auto t = std::make_shared<Type>(Kind::kTuple);
  for (size_t i = 0; i < types.size(); ++i) {
    if (!types[i]) return fail("tuple element {} without a type", i);
    t->fields_.push_back(Field{std::to_string(i), std::move(types[i])});
  }
  return finish(std::move(t));
}

Result<TypePtr> Type::make_variant_like(Kind kind, std::vector<Case> cases, TypePtr element) {
  if (cases.empty()) return fail("{} without cases", kind_name(kind));
  if (cases.size() > std::numeric_limits<uint32_t>::max()) return fail("too many cases");
  auto t = std::make_shared<Type>(kind);
  t->cases_ = std::move(cases);
  t->element_ = std::move(element);
  return finish(std::move(t));
}

Result<TypePtr> Type::variant(std::vector<Case> cases) {
  return make_variant_like(Kind::kVariant, std::move(cases));
}

Result<TypePtr> Type::enumeration(std::vector<std::string> labels) {
  std::vector<Case> cases;
  cases.reserve(labels.size());
  for (std::string& l : labels) cases.push_back(Case{std::move(l), nullptr});
  return make_variant_like(Kind::kEnum, std::move(cases));
}

Result<TypePtr> Type::option(TypePtr some) {
  if (!some) return fail("option without a payload type");
  std::vector<Case> cases;
  cases.push_back(Case{"none", nullptr});
  cases.push_back(Case{"some", some});
  return make_variant_like(Kind::kOption, std::move(cases), std::move(some));
}

Result<TypePtr> Type::result(TypePtr ok, TypePtr error) {
  std::vector<Case> cases;
  cases.push_back(Case{"ok", std::move(ok)});
  cases.push_back(Case{"error", std::move(error)});
  return make_variant_like(Kind::kResult, std::move(cases));
}

Result<TypePtr> Type::flags(std::vector<std::string> labels) {
  if (labels.empty()) return fail("flags without labels");
  if (labels.size() > kMaxFlags)
    return fail("flags with {} labels (at most {} allowed)", labels.size(), kMaxFlags);
  auto t = std::make_shared<Type>(Kind::kFlags);
  t->labels_ = std::move(labels);
  return finish(std::move(t));
}

Result<TypePtr> Type::own(ResourcePtr resource) {
  if (!resource) return fail("own without a resource type");
  auto t = std::make_shared<Type>(Kind::kOwn);
  t->resource_ = std::move(resource);
  return finish(std::move(t));
}

Result<TypePtr> Type::borrow(ResourcePtr resource) {
  if (!resource) return fail("borrow without a resource type");
  auto t = std::make_shared<Type>(Kind::kBorrow);
  t->resource_ = std::move(resource);
  return finish(std::move(t));
}

std::string Type::to_string() const {
  auto join_types = [](std::span<const Field> fields, bool named) {
    std::string out;
    for (const Field& f : fields) {
      if (!out.empty()) out += ", ";
      if (named) out += f.name + ": ";
      out += f.type->to_string();
    }
    return out;
  };
  auto opt = [](const TypePtr& t) { return t ? t->to_string() : std::string("_"); };
  switch (kind_) {
    case Kind::kList:
      return fmt::format("list<{}>", element_->to_string());
    case Kind::kFixedList:
      return fmt::format("list<{}, {}>", element_->to_string(), length_);
    case Kind::kRecord:
      return fmt::format("record {{ {} }}", join_types(fields_, true));
    case Kind::kTuple:
      return fmt::format("tuple<{}>", join_types(fields_, false));
    case Kind::kVariant: {
      std::string out;
      for (const Case& c : cases_) {
        if (!out.empty()) out += ", ";
        out += c.type ? fmt::format("{}({})", c.name, c.type->to_string()) : c.name;
      }
      return fmt::format("variant {{ {} }}", out);
    }
    case Kind::kEnum: {
      std::string out;
      for (const Case& c : cases_) out += (out.empty() ? "" : ", ") + c.name;
      return fmt::format("enum {{ {} }}", out);
    }
    case Kind::kOption:
      return fmt::format("option<{}>", element_->to_string());
    case Kind::kResult:
      return fmt::format("result<{}, {}>", opt(cases_[0].type), opt(cases_[1].type));
    case Kind::kFlags:
      return fmt::format("flags {{ {} }}", fmt::join(labels_, ", "));
    case Kind::kOwn:
      return fmt::format("own<{}>", resource_->name());
    case Kind::kBorrow:
      return fmt::format("borrow<{}>", resource_->name());
    default:
      return std::string(kind_name(kind_));
  }
}

namespace ty {

namespace {
TypePtr cached(Type::Kind kind) {
  // One node per primitive kind, shared by every type that uses it.
  static const std::vector<TypePtr> primitives = [] {
    std::vector<TypePtr> v;
    for (int k = 0; k <= static_cast<int>(Type::Kind::kString); ++k)
      v.push_back(Type::primitive(static_cast<Type::Kind>(k)));
    return v;
  }();
  return primitives[static_cast<size_t>(kind)];
}
}  // namespace

TypePtr bool_() { return cached(Type::Kind::kBool); }
TypePtr s8() { return cached(Type::Kind::kS8); }
TypePtr u8() { return cached(Type::Kind::kU8); }
TypePtr s16() { return cached(Type::Kind::kS16); }
TypePtr u16() { return cached(Type::Kind::kU16); }
TypePtr s32() { return cached(Type::Kind::kS32); }
TypePtr u32() { return cached(Type::Kind::kU32); }
TypePtr s64() { return cached(Type::Kind::kS64); }
TypePtr u64() { return cached(Type::Kind::kU64); }
TypePtr f32() { return cached(Type::Kind::kF32); }
TypePtr f64() { return cached(Type::Kind::kF64); }
TypePtr char_() { return cached(Type::Kind::kChar); }
TypePtr string() { return cached(Type::Kind::kString); }
TypePtr list(TypePtr element) { return must(Type::list(std::move(element))); }
TypePtr list(TypePtr element, uint32_t length) {
  return must(Type::fixed_list(std::move(element), length));
}
TypePtr record(std::initializer_list<std::pair<std::string, TypePtr>> fields) {
  std::vector<Type::Field> v;
  for (const auto& [name, type] : fields) v.push_back(Type::Field{name, type});
  return must(Type::record(std::move(v)));
}
TypePtr tuple(std::vector<TypePtr> types) { return must(Type::tuple(std::move(types))); }
TypePtr variant(std::initializer_list<std::pair<std::string, TypePtr>> cases) {
  std::vector<Type::Case> v;
  for (const auto& [name, type] : cases) v.push_back(Type::Case{name, type});
  return must(Type::variant(std::move(v)));
}
TypePtr enum_(std::vector<std::string> labels) {
  return must(Type::enumeration(std::move(labels)));
}
TypePtr option(TypePtr some) { return must(Type::option(std::move(some))); }
TypePtr result(TypePtr ok, TypePtr error) {
  return must(Type::result(std::move(ok), std::move(error)));
}
TypePtr flags(std::vector<std::string> labels) { return must(Type::flags(std::move(labels))); }
TypePtr own(ResourcePtr resource) { return must(Type::own(std::move(resource))); }
TypePtr borrow(ResourcePtr resource) { return must(Type::borrow(std::move(resource))); }
FunctionType func(std::initializer_list<std::pair<std::string, TypePtr>> params,
                  std::vector<TypePtr> results) {
  FunctionType f;
  for (const auto& [name, type] : params) {
    f.param_names.push_back(name);
    f.params.push_back(type);
  }
  f.results = std::move(results);
  return f;
}

}  // namespace ty

}  // namespace lepton::component
