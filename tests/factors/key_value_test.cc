// The key-value permission rules and the SQLite backend, without a guest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "factors/key_value_access.h"

namespace lepton::factors {
namespace {

TEST(KeyValueAccess, UngrantedIsDeniedGrantedButMissingIsNoSuchStore) {
  auto stores = key_value::Stores::open(std::nullopt, {{"extra", std::nullopt}});
  ASSERT_TRUE(stores) << stores.error().message;
  std::vector<std::string> granted = {"default", "ghost"};
  KeyValueAccess access{stores->get(), &granted};
  EXPECT_TRUE(std::holds_alternative<const key_value::Store*>(open_store(access, "default")));
  EXPECT_EQ(std::get<OpenError>(open_store(access, "extra")), OpenError::kAccessDenied);
  EXPECT_EQ(std::get<OpenError>(open_store(access, "nope")), OpenError::kAccessDenied);
  EXPECT_EQ(std::get<OpenError>(open_store(access, "ghost")), OpenError::kNoSuchStore);
  EXPECT_EQ(std::get<OpenError>(open_store(KeyValueAccess{}, "default")), OpenError::kAccessDenied);
}

TEST(KeyValueStore, OperationsAndIncrementOnOneFileShared) {
  auto dir = std::filesystem::temp_directory_path() / ("lepton-kv-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto path = dir / "kv.db";
  {
    auto stores = key_value::Stores::open(path, {{"other", path}});
    ASSERT_TRUE(stores) << stores.error().message;
    const key_value::Store* d = (*stores)->find("default");
    const key_value::Store* o = (*stores)->find("other");
    ASSERT_TRUE(d && o);
    auto* ds = dynamic_cast<const key_value::SqliteStore*>(d);
    auto* os = dynamic_cast<const key_value::SqliteStore*>(o);
    ASSERT_TRUE(ds && os);
    EXPECT_EQ(ds->db(), os->db());  // one connection per file
    ASSERT_TRUE(d->set("k", std::string("a\0b", 3)));
    ASSERT_TRUE(o->set("k", "other"));
    EXPECT_EQ(**d->get("k"), std::string("a\0b", 3));
    EXPECT_EQ(**o->get("k"), "other");
    EXPECT_EQ(*d->increment("n", 5), 5);
    EXPECT_EQ(*d->increment("n", -2), 3);
    EXPECT_EQ(**d->get("n"), "3");
    ASSERT_TRUE(d->set_many({{"x", "1"}, {"y", "2"}}));
    EXPECT_EQ(*d->keys(), (std::vector<std::string>{"k", "n", "x", "y"}));
    ASSERT_TRUE(d->remove("x"));
    EXPECT_FALSE(*d->exists("x"));
    EXPECT_TRUE(*o->exists("k"));
    // Compare-and-swap: succeeds only while the value is still what was seen.
    auto first = d->new_cas("c");
    auto second = d->new_cas("c");
    ASSERT_TRUE(first && second);
    EXPECT_EQ((*first)->current(), std::nullopt);
    EXPECT_TRUE(*(*first)->swap("1"));
    EXPECT_FALSE(*(*second)->swap("2"));
    auto third = d->new_cas("c");
    ASSERT_TRUE(third);
    EXPECT_EQ((*third)->current(), std::optional<std::string>("1"));
    EXPECT_TRUE(*(*third)->swap("2"));
    EXPECT_EQ(**d->get("c"), "2");
  }
  auto reopened = key_value::Stores::open(path, {});
  ASSERT_TRUE(reopened);
  const key_value::Store* d = (*reopened)->find("default");
  EXPECT_EQ(**d->get("y"), "2");
  auto* ds = dynamic_cast<const key_value::SqliteStore*>(d);
  ASSERT_TRUE(ds);
  EXPECT_EQ(*ds->db()->keys("other"), std::vector<std::string>{"k"});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lepton::factors
