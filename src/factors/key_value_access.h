// Which key-value stores a component may open: its manifest's `key_value_stores` grants, over
// the app's configured stores. Shared by the component interfaces and the Spin 1 ABI.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "key_value/store.h"

namespace lepton::factors {

struct KeyValueAccess {
  const key_value::Stores* stores = nullptr;
  const std::vector<std::string>* granted = nullptr;  // the component's key_value_stores
  std::string component_id = {};                      // whose [[client_tls]] a rediss:// store uses
};

enum class OpenError { kNoSuchStore, kAccessDenied };

// Ungranted → access-denied (whether or not it exists); granted but not configured →
// no-such-store.
inline std::variant<const key_value::Store*, OpenError> open_store(const KeyValueAccess& access,
                                                                   const std::string& label) {
  bool granted = false;
  if (access.granted != nullptr)
    for (const auto& l : *access.granted) granted |= l == label;
  if (!granted) return OpenError::kAccessDenied;
  const key_value::Store* store =
      access.stores ? access.stores->find(label, access.component_id) : nullptr;
  if (store == nullptr) return OpenError::kNoSuchStore;
  return store;
}

}  // namespace lepton::factors
