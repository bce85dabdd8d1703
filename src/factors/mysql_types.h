// rdbms-types@2.0.0 as used by outbound MySQL: component-model types and the conversions between
// component values and mysql::Value / RowSet / DbError. Shared by spin_mysql.cc (the component
// interface) and its tests. Named for mysql so that another rdbms-types user stays independent.
#pragma once

#include <string>
#include <vector>

#include "component/host.h"
#include "mysql/client.h"

namespace lepton::factors::mysql_types {

struct Types {
  component::TypePtr error, data_type, db_value, parameter_value, column, row_set;
};
const Types& types();

// parameter-value -> mysql::Value (case order is the same).
mysql::Value to_value(const component::Val& parameter);
std::vector<mysql::Value> to_values(const component::Val& list);
component::Val db_value(const mysql::Value& v);
component::Val row_set(const mysql::RowSet& rows);
component::Val error(const mysql::DbError& e);

}  // namespace lepton::factors::mysql_types
