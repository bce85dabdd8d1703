// Key-value stores for components: fermyon:spin/key-value (Spin 2/3 SDKs) and the WASI draft
// wasi:keyvalue (store, atomics, batch) that Spin 3 serves from the same stores (a bucket is a
// store label). Spin 1 modules reach the same stores through spin1_key_value.cc.
#include <optional>
#include <variant>

#include "factors/spin_component.h"

namespace lepton::factors {

using component::HostCall;
using component::InstanceState;
using component::Val;
namespace ty = component::ty;

namespace {

// A compare-and-swap handle: the backend's operation, which knows the value `key` held when it
// was made.
struct Cas {
  const key_value::Store* store;
  std::string key;
  std::unique_ptr<key_value::Cas> op;
};

// Open stores/buckets of one request; rep → the configured store behind the label.
struct KvState {
  component::ObjectTable<const key_value::Store*> stores;   // fermyon:spin store
  component::ObjectTable<const key_value::Store*> buckets;  // wasi:keyvalue bucket
  component::ObjectTable<Cas> cas;                          // wasi:keyvalue/atomics cas
};
constexpr size_t kMaxOpen = 256;  // per request; beyond it open answers store-table-full

KeyValueAccess access_of(HostCall& c) {
  const SpinComponent* sc = c.instance.find<SpinComponent>();
  return sc == nullptr ? KeyValueAccess{} : sc->key_value;
}

// Error payloads: spin `error` has store-table-full first; wasi's starts at no-such-store.
struct Errors {
  uint32_t no_such_store, access_denied, other;
  Val open(OpenError e) const {
    return Val::variant(e == OpenError::kNoSuchStore ? no_such_store : access_denied);
  }
  Val backend(const Error& e) const { return Val::variant(other, Val::string(e.message)); }
};
constexpr Errors kSpinErrors{1, 2, 3};
constexpr Errors kWasiErrors{0, 1, 2};

using Table = component::ObjectTable<const key_value::Store*> KvState::*;

Result<const key_value::Store*> store_at(HostCall& c, Table table, size_t arg) {
  if (c.args.size() <= arg) return fail("key-value: missing argument {}", arg);
  const key_value::Store** s = (c.instance.state<KvState>().*table).get(c.args[arg].rep());
  if (s == nullptr) return fail("key-value: unknown store handle {}", c.args[arg].rep());
  return *s;
}

Status open(HostCall& c, Table table, const Errors& errors) {
  if (c.args.empty()) return fail("key-value: open expects a label");
  auto& t = c.instance.state<KvState>().*table;
  if (t.size() >= kMaxOpen) {
    c.results.push_back(Val::err(
        &errors == &kSpinErrors ? Val::variant(0) : errors.backend(Error{"too many open stores"})));
    return {};
  }
  auto opened = open_store(access_of(c), c.args[0].as_string());
  if (auto* e = std::get_if<OpenError>(&opened)) {
    c.results.push_back(Val::err(errors.open(*e)));
    return {};
  }
  c.results.push_back(Val::ok(Val::own(t.insert(std::get<const key_value::Store*>(opened)))));
  return {};
}

// The methods both store and bucket have: get, set, delete, exists; `self` is argument 0.
void define_methods(component::HostInterface& iface, const std::string& resource,
                    component::TypePtr self, component::TypePtr error, Table table,
                    const Errors& errors) {
  auto push = [&errors](HostCall& c, auto&& result, auto&& to_val) {
    if (!result) {
      c.results.push_back(Val::err(errors.backend(result.error())));
    } else {
      c.results.push_back(Val::ok(to_val(*result)));
    }
  };
  iface.function("[method]" + resource + ".get",
                 ty::func({{"self", self}, {"key", ty::string()}},
                          {ty::result(ty::option(ty::list(ty::u8())), error)}),
                 [table, push](HostCall& c) -> Status {
                   LEPTON_TRY(auto* s, store_at(c, table, 0));
                   push(c, s->get(c.args[1].as_string()),
                        [](const auto& v) { return v ? Val::some(Val::bytes(*v)) : Val::none(); });
                   return {};
                 });
  iface.function("[method]" + resource + ".set",
                 ty::func({{"self", self}, {"key", ty::string()}, {"value", ty::list(ty::u8())}},
                          {ty::result(nullptr, error)}),
                 [table, &errors](HostCall& c) -> Status {
                   LEPTON_TRY(auto* s, store_at(c, table, 0));
                   auto done = s->set(c.args[1].as_string(), c.args[2].as_bytes());
                   c.results.push_back(done ? Val::ok() : Val::err(errors.backend(done.error())));
                   return {};
                 });
  iface.function("[method]" + resource + ".delete",
                 ty::func({{"self", self}, {"key", ty::string()}}, {ty::result(nullptr, error)}),
                 [table, &errors](HostCall& c) -> Status {
                   LEPTON_TRY(auto* s, store_at(c, table, 0));
                   auto done = s->remove(c.args[1].as_string());
                   c.results.push_back(done ? Val::ok() : Val::err(errors.backend(done.error())));
                   return {};
                 });
  iface.function(
      "[method]" + resource + ".exists",
      ty::func({{"self", self}, {"key", ty::string()}}, {ty::result(ty::bool_(), error)}),
      [table, push](HostCall& c) -> Status {
        LEPTON_TRY(auto* s, store_at(c, table, 0));
        push(c, s->exists(c.args[1].as_string()), [](bool b) { return Val::bool_(b); });
        return {};
      });
}

Val string_list(const std::vector<std::string>& keys) {
  std::vector<Val> items;
  items.reserve(keys.size());
  for (const auto& k : keys) items.push_back(Val::string(k));
  return Val::list(std::move(items));
}

void register_spin(component::HostRegistry& registry) {
  auto error = ty::variant({{"store-table-full", nullptr},
                            {"no-such-store", nullptr},
                            {"access-denied", nullptr},
                            {"other", ty::string()}});
  component::HostInterface& iface = registry.add("fermyon:spin/key-value");
  iface.run_off_loop();  // synchronous backend client
  auto store = iface.resource("store", [](InstanceState& inst, uint32_t rep) -> Status {
    if (!inst.state<KvState>().stores.remove(rep)) return fail("dropping unknown store {}", rep);
    return {};
  });
  iface.function("[static]store.open",
                 ty::func({{"label", ty::string()}}, {ty::result(ty::own(store), error)}),
                 [](HostCall& c) { return open(c, &KvState::stores, kSpinErrors); });
  define_methods(iface, "store", ty::borrow(store), error, &KvState::stores, kSpinErrors);
  iface.function(
      "[method]store.get-keys",
      ty::func({{"self", ty::borrow(store)}}, {ty::result(ty::list(ty::string()), error)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(auto* s, store_at(c, &KvState::stores, 0));
        auto keys = s->keys();
        c.results.push_back(keys ? Val::ok(string_list(*keys))
                                 : Val::err(kSpinErrors.backend(keys.error())));
        return {};
      });
}

void register_wasi(component::HostRegistry& registry) {
  auto error = ty::variant(
      {{"no-such-store", nullptr}, {"access-denied", nullptr}, {"other", ty::string()}});
  component::HostInterface& iface = registry.add("wasi:keyvalue/store");
  iface.run_off_loop();  // synchronous backend client
  auto bucket = iface.resource("bucket", [](InstanceState& inst, uint32_t rep) -> Status {
    if (!inst.state<KvState>().buckets.remove(rep)) return fail("dropping unknown bucket {}", rep);
    return {};
  });
  auto self = ty::borrow(bucket);
  iface.function("open",
                 ty::func({{"identifier", ty::string()}}, {ty::result(ty::own(bucket), error)}),
                 [](HostCall& c) { return open(c, &KvState::buckets, kWasiErrors); });
  define_methods(iface, "bucket", self, error, &KvState::buckets, kWasiErrors);
  // Every key in one response: the cursor is always none.
  auto key_response =
      ty::record({{"keys", ty::list(ty::string())}, {"cursor", ty::option(ty::string())}});
  iface.function("[method]bucket.list-keys",
                 ty::func({{"self", self}, {"cursor", ty::option(ty::string())}},
                          {ty::result(key_response, error)}),
                 [](HostCall& c) -> Status {
                   LEPTON_TRY(auto* s, store_at(c, &KvState::buckets, 0));
                   auto keys = s->keys();
                   c.results.push_back(keys
                                           ? Val::ok(Val::record({string_list(*keys), Val::none()}))
                                           : Val::err(kWasiErrors.backend(keys.error())));
                   return {};
                 });

  component::HostInterface& atomics = registry.add("wasi:keyvalue/atomics");
  atomics.run_off_loop();  // synchronous backend client
  auto cas = atomics.resource("cas", [](InstanceState& inst, uint32_t rep) -> Status {
    if (!inst.state<KvState>().cas.remove(rep)) return fail("dropping unknown cas {}", rep);
    return {};
  });
  atomics.function(
      "[static]cas.new",
      ty::func({{"bucket", self}, {"key", ty::string()}}, {ty::result(ty::own(cas), error)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(auto* s, store_at(c, &KvState::buckets, 0));
        std::string key = c.args[1].as_string();
        auto op = s->new_cas(key);
        if (!op) {
          c.results.push_back(Val::err(kWasiErrors.backend(op.error())));
          return {};
        }
        uint32_t rep =
            c.instance.state<KvState>().cas.insert(Cas{s, std::move(key), std::move(*op)});
        c.results.push_back(Val::ok(Val::own(rep)));
        return {};
      });
  atomics.function(
      "[method]cas.current",
      ty::func({{"self", ty::borrow(cas)}}, {ty::result(ty::option(ty::list(ty::u8())), error)}),
      [](HostCall& c) -> Status {
        Cas* h = c.instance.state<KvState>().cas.get(c.args[0].rep());
        if (h == nullptr) return fail("key-value: unknown cas {}", c.args[0].rep());
        const auto& seen = h->op->current();
        c.results.push_back(Val::ok(seen ? Val::some(Val::bytes(*seen)) : Val::none()));
        return {};
      });
  // variant cas-error { store-error(error), cas-failed(cas) }: a lost race hands back a new cas
  // on the same key that has read its value again (as Spin's does).
  auto cas_error = ty::variant({{"store-error", error}, {"cas-failed", ty::own(cas)}});
  atomics.function(
      "swap",
      ty::func({{"cas", ty::own(cas)}, {"value", ty::list(ty::u8())}},
               {ty::result(nullptr, cas_error)}),
      [](HostCall& c) -> Status {
        auto& table = c.instance.state<KvState>().cas;
        std::optional<Cas> h = table.remove(c.args[0].rep());
        if (!h) return fail("key-value: unknown cas {}", c.args[0].rep());
        auto swapped = h->op->swap(c.args[1].as_bytes());
        if (swapped && !*swapped) {
          h->op.reset();  // a Redis cas gives its connection back before the next one is taken
          auto again = h->store->new_cas(h->key);
          if (!again) {
            swapped = std::move(again).error();
          } else {
            h->op = std::move(*again);
            c.results.push_back(Val::err(Val::variant(1, Val::own(table.insert(std::move(*h))))));
            return {};
          }
        }
        if (!swapped) {
          c.results.push_back(Val::err(Val::variant(0, kWasiErrors.backend(swapped.error()))));
        } else {
          c.results.push_back(Val::ok());
        }
        return {};
      });
  atomics.function("increment",
                   ty::func({{"bucket", self}, {"key", ty::string()}, {"delta", ty::s64()}},
                            {ty::result(ty::s64(), error)}),
                   [](HostCall& c) -> Status {
                     LEPTON_TRY(auto* s, store_at(c, &KvState::buckets, 0));
                     auto value = s->increment(c.args[1].as_string(), c.args[2].as_int());
                     c.results.push_back(value ? Val::ok(Val::s64(*value))
                                               : Val::err(kWasiErrors.backend(value.error())));
                     return {};
                   });

  component::HostInterface& batch = registry.add("wasi:keyvalue/batch");
  batch.run_off_loop();  // synchronous backend client
  batch.function(
      "get-many",
      ty::func(
          {{"bucket", self}, {"keys", ty::list(ty::string())}},
          {ty::result(ty::list(ty::tuple({ty::string(), ty::option(ty::list(ty::u8()))})), error)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(auto* s, store_at(c, &KvState::buckets, 0));
        std::vector<std::string> keys;
        for (const Val& k : c.args[1].items()) keys.push_back(k.as_string());
        auto values = s->get_many(keys);
        if (!values) {
          c.results.push_back(Val::err(kWasiErrors.backend(values.error())));
          return {};
        }
        std::vector<Val> out;
        for (size_t i = 0; i < keys.size(); ++i) {
          const auto& value = (*values)[i];
          out.push_back(Val::tuple(
              {Val::string(keys[i]), value ? Val::some(Val::bytes(*value)) : Val::none()}));
        }
        c.results.push_back(Val::ok(Val::list(std::move(out))));
        return {};
      });
  batch.function(
      "set-many",
      ty::func({{"bucket", self},
                {"key-values", ty::list(ty::tuple({ty::string(), ty::list(ty::u8())}))}},
               {ty::result(nullptr, error)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(auto* s, store_at(c, &KvState::buckets, 0));
        std::vector<std::pair<std::string, std::string>> items;
        for (const Val& kv : c.args[1].items())
          items.emplace_back(kv.items()[0].as_string(), kv.items()[1].as_bytes());
        auto done = s->set_many(items);
        c.results.push_back(done ? Val::ok() : Val::err(kWasiErrors.backend(done.error())));
        return {};
      });
  batch.function(
      "delete-many",
      ty::func({{"bucket", self}, {"keys", ty::list(ty::string())}}, {ty::result(nullptr, error)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(auto* s, store_at(c, &KvState::buckets, 0));
        std::vector<std::string> keys;
        for (const Val& k : c.args[1].items()) keys.push_back(k.as_string());
        auto done = s->delete_many(keys);
        c.results.push_back(done ? Val::ok() : Val::err(kWasiErrors.backend(done.error())));
        return {};
      });
}

}  // namespace

void register_key_value(component::HostRegistry& registry) {
  register_spin(registry);
  register_wasi(registry);
}

}  // namespace lepton::factors
