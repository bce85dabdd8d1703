#include "manifest/toml_reader.h"

#include <algorithm>

namespace lepton::manifest::detail {

Loc loc_of(const toml::source_region& region) {
  return Loc{static_cast<uint32_t>(region.begin.line), static_cast<uint32_t>(region.begin.column)};
}
Loc loc_of(const toml::node& node) { return loc_of(node.source()); }
Loc loc_of(const toml::key& key) { return loc_of(key.source()); }

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "nothing";
  }
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string suggest(std::string_view word, const std::vector<std::string_view>& candidates) {
  if (word.size() > 64) return {};
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    // A shortened name ("dest" for "destination") is a typo too.
    if (word.size() >= 3 && c.starts_with(word)) return std::string(c);
  }
  for (auto c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string Ctx::prefix(Loc loc) const {
  if (loc.line == 0) return file_ + ": ";
  return fmt::format("{}:{}:{}: ", file_, loc.line, loc.column);
}

TableReader::TableReader(const Ctx& ctx, const toml::table& table, std::string what)
    : ctx_(ctx), table_(table), what_(std::move(what)) {}

Loc TableReader::loc() const {
  Loc l = loc_of(table_);
  if (l.line != 0) return l;
  // Implicit tables have no position of their own: use their first key.
  Loc first;
  for (auto&& [k, v] : table_) {
    Loc kl = loc_of(k);
    if (kl.line != 0 && (first.line == 0 || kl.line < first.line)) first = kl;
  }
  return first;
}

Status TableReader::check_keys(const std::vector<std::string_view>& allowed) const {
  for (auto [key, node] : ordered(table_)) {
    std::string_view name = key->str();
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    std::string hint = suggest(name, allowed);
    if (!hint.empty()) {
      return ctx_.at(loc_of(*key), "unknown field '{}' in {} (did you mean '{}'?)", name, what_,
                     hint);
    }
    std::string expected;
    for (auto a : allowed) {
      if (!expected.empty()) expected += ", ";
      expected += a;
    }
    return ctx_.at(loc_of(*key), "unknown field '{}' in {} (expected one of: {})", name, what_,
                   expected);
  }
  return {};
}

const toml::node* TableReader::get(std::string_view key) const { return table_.get(key); }

Loc TableReader::key_loc(std::string_view key) const {
  auto it = table_.find(key);
  if (it == table_.end()) return loc();
  Loc l = loc_of(it->first);
  return l.line != 0 ? l : loc_of(it->second);
}

Loc TableReader::value_loc(std::string_view key) const {
  const toml::node* n = get(key);
  if (n == nullptr) return loc();
  Loc l = loc_of(*n);
  return l.line != 0 ? l : key_loc(key);
}

Error TableReader::missing(std::string_view key) const {
  return ctx_.at(loc(), "missing field '{}' in {}", key, what_);
}

Error TableReader::wrong_type(std::string_view key, std::string_view expected) const {
  const toml::node* n = get(key);
  return ctx_.at(value_loc(key), "invalid type for '{}' in {}: expected {}, found {}", key, what_,
                 expected, n ? type_name(*n) : "nothing");
}

Result<std::optional<std::string>> TableReader::opt_string(std::string_view key) const {
  const toml::node* n = get(key);
  if (n == nullptr) return std::optional<std::string>();
  if (!n->is_string()) return wrong_type(key, "a string");
  return std::optional<std::string>(n->as_string()->get());
}

Result<std::string> TableReader::string(std::string_view key) const {
  const toml::node* n = get(key);
  if (n == nullptr) return missing(key);
  if (!n->is_string()) return wrong_type(key, "a string");
  return n->as_string()->get();
}

Result<std::optional<bool>> TableReader::opt_bool(std::string_view key) const {
  const toml::node* n = get(key);
  if (n == nullptr) return std::optional<bool>();
  if (!n->is_boolean()) return wrong_type(key, "a boolean");
  return std::optional<bool>(n->as_boolean()->get());
}

Result<std::optional<int64_t>> TableReader::opt_int(std::string_view key) const {
  const toml::node* n = get(key);
  if (n == nullptr) return std::optional<int64_t>();
  if (!n->is_integer()) return wrong_type(key, "an integer");
  return std::optional<int64_t>(n->as_integer()->get());
}

Result<std::vector<std::string>> TableReader::string_array(std::string_view key,
                                                           bool* present) const {
  std::vector<std::string> out;
  const toml::node* n = get(key);
  if (present != nullptr) *present = n != nullptr;
  if (n == nullptr) return out;
  if (!n->is_array()) return wrong_type(key, "an array of strings");
  for (const toml::node& item : *n->as_array()) {
    if (!item.is_string()) {
      Loc l = loc_of(item);
      return ctx_.at(l.line ? l : value_loc(key),
                     "invalid type in '{}' in {}: expected a string, found {}", key, what_,
                     type_name(item));
    }
    out.push_back(item.as_string()->get());
  }
  return out;
}

Result<std::vector<std::string>> TableReader::string_or_array(std::string_view key) const {
  const toml::node* n = get(key);
  if (n != nullptr && n->is_string()) return std::vector<std::string>{n->as_string()->get()};
  if (n != nullptr && !n->is_array()) return wrong_type(key, "a string or an array of strings");
  return string_array(key);
}

Result<const toml::table*> TableReader::opt_table(std::string_view key) const {
  const toml::node* n = get(key);
  if (n == nullptr) return static_cast<const toml::table*>(nullptr);
  if (!n->is_table()) return wrong_type(key, "a table");
  return n->as_table();
}

Result<std::vector<TableReader::Entry>> TableReader::string_table(std::string_view key) const {
  std::vector<Entry> out;
  LEPTON_TRY(const toml::table* t, opt_table(key));
  if (t == nullptr) return out;
  for (auto [k, v] : ordered(*t)) {
    if (!v->is_string()) {
      Loc l = loc_of(*v);
      return ctx_.at(l.line ? l : loc_of(*k),
                     "invalid type for '{}.{}' in {}: expected a string, found {}", key, k->str(),
                     what_, type_name(*v));
    }
    out.push_back(Entry{std::string(k->str()), v->as_string()->get(), loc_of(*k)});
  }
  return out;
}

std::vector<std::pair<const toml::key*, const toml::node*>> TableReader::ordered(
    const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (auto&& [k, v] : t) out.emplace_back(&k, &v);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    Loc la = loc_of(*a.first);
    Loc lb = loc_of(*b.first);
    if (la.line != lb.line) return la.line < lb.line;
    return la.column < lb.column;
  });
  return out;
}

}  // namespace lepton::manifest::detail
