// The older interfaces' values in terms of 4.0.0 (src/postgres/versions.h), as Spin converts
// them: case renumbering, types an old version cannot name, unsigned 2.0.0 parameters.
#include "postgres/versions.h"

#include <gtest/gtest.h>

#include "postgres/codec.h"

namespace lepton::postgres {
namespace {

using component::Val;

TEST(PostgresVersions, ParametersBecome4_0_0Cases) {
  // 3.0.0: the same cases up to timestamp, db-null 13
  EXPECT_EQ(*param_to_v4(Version::k3, Val::variant(12, Val::s64(5))),
            Val::variant(kTimestamp, Val::s64(5)));
  EXPECT_EQ(*param_to_v4(Version::k3, Val::variant(13)), Val::variant(kDbNull));
  // 2.0.0 / Spin 1: floating32 9, floating64 10, str 11, binary 12, db-null 13; unsigned refused
  EXPECT_EQ(*param_to_v4(Version::k2, Val::variant(4, Val::s64(-1))),
            Val::variant(kInt64, Val::s64(-1)));
  EXPECT_EQ(*param_to_v4(Version::k2, Val::variant(10, Val::f64(0.5))),
            Val::variant(kFloating64, Val::f64(0.5)));
  EXPECT_EQ(*param_to_v4(Version::k2, Val::variant(11, Val::string("s"))),
            Val::variant(kStr, Val::string("s")));
  EXPECT_EQ(*param_to_v4(Version::k2, Val::variant(12, Val::bytes("b"))),
            Val::variant(kBinary, Val::bytes("b")));
  EXPECT_EQ(*param_to_v4(Version::k2, Val::variant(13)), Val::variant(kDbNull));
  for (uint32_t unsigned_case : {5u, 6u, 7u, 8u})
    EXPECT_FALSE(param_to_v4(Version::k2, Val::variant(unsigned_case, Val::u64(1))));
}

TEST(PostgresVersions, RowSetsLoseWhatAVersionCannotName) {
  Val rs = Val::record(
      {Val::list({Val::record({Val::string("a"), Val::variant(kDate)}),
                  Val::record({Val::string("b"), Val::variant(kUuid)}),
                  Val::record({Val::string("c"), Val::variant(kStr)}),
                  Val::record({Val::string("d"), Val::variant(kOther, Val::string("inet"))})}),
       Val::list(
           {Val::list({Val::variant(kDate, Val::tuple({Val::s32(2020), Val::u8(1), Val::u8(2)})),
                       Val::variant(kUuid, Val::string("x")), Val::variant(kStr, Val::string("s")),
                       Val::variant(kUnsupported, Val::bytes("\x01"))}),
            Val::list({Val::variant(kDbNull), Val::variant(kDbNull), Val::variant(kDbNull),
                       Val::variant(kDbNull)})})});
  Val v3 = row_set_from_v4(Version::k3, rs);
  auto cols3 = v3.items()[0].items();
  EXPECT_EQ(cols3[0].items()[1], Val::enum_(9));   // date
  EXPECT_EQ(cols3[1].items()[1], Val::enum_(13));  // other
  EXPECT_EQ(cols3[3].items()[1], Val::enum_(13));
  auto row3 = v3.items()[1].items()[0].items();
  EXPECT_EQ(row3[0], Val::variant(9, Val::tuple({Val::s32(2020), Val::u8(1), Val::u8(2)})));
  EXPECT_EQ(row3[1], Val::variant(14));  // unsupported
  EXPECT_EQ(row3[2], Val::variant(7, Val::string("s")));
  EXPECT_EQ(row3[3], Val::variant(14));
  EXPECT_EQ(v3.items()[1].items()[1].items()[0], Val::variant(13));  // db-null

  Val v2 = row_set_from_v4(Version::k2, rs);
  auto cols2 = v2.items()[0].items();
  EXPECT_EQ(cols2[0].items()[1], Val::enum_(13));  // date: other
  EXPECT_EQ(cols2[2].items()[1], Val::enum_(11));  // str
  auto row2 = v2.items()[1].items()[0].items();
  EXPECT_EQ(row2[0], Val::variant(14));  // unsupported
  EXPECT_EQ(row2[2], Val::variant(11, Val::string("s")));
  EXPECT_EQ(v2.items()[1].items()[1].items()[0], Val::variant(13));  // db-null
  // 4.0.0 is unchanged
  EXPECT_EQ(row_set_from_v4(Version::k4, rs), rs);
}

}  // namespace
}  // namespace lepton::postgres
