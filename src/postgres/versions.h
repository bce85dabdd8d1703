// Spin's older PostgreSQL interfaces in terms of spin:postgres/postgres@4.0.0 (codec.h), as
// Spin converts them: spin:postgres@3.0.0, fermyon:spin/rdbms-types@2.0.0 and the Spin 1
// `rdbms-types` (the same cases as 2.0.0). Values a version cannot name become `unsupported`
// (db-value) or `other` (db-data-type); 2.0.0's unsigned parameters have no PostgreSQL type.
#pragma once

#include <optional>

#include "component/values.h"

namespace lepton::postgres {

enum class Version { k2, k3, k4 };  // k2: fermyon:spin/rdbms-types@2.0.0 and Spin 1

// A parameter-value of `v` as 4.0.0; nullopt for 2.0.0's uint8..uint64.
std::optional<component::Val> param_to_v4(Version v, const component::Val& p);
// A 4.0.0 db-value / db-data-type / row-set as `v` has it.
component::Val value_from_v4(Version v, const component::Val& d);
component::Val data_type_from_v4(Version v, const component::Val& t);
component::Val row_set_from_v4(Version v, const component::Val& rs);

}  // namespace lepton::postgres
