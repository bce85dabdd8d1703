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
    EXPECT_EQ(d->db, o->db);  // one connection per file
    ASSERT_TRUE(d->db->set(d->name, "k", std::string("a\0b", 3)));
    ASSERT_TRUE(o->db->set(o->name, "k", "other"));
    EXPECT_EQ(**d->db->get(d->name, "k"), std::string("a\0b", 3));
    EXPECT_EQ(**o->db->get(o->name, "k"), "other");
    EXPECT_EQ(*d->db->increment(d->name, "n", 5), 5);
    EXPECT_EQ(*d->db->increment(d->name, "n", -2), 3);
    EXPECT_EQ(**d->db->get(d->name, "n"), "3");
    ASSERT_TRUE(d->db->set_many(d->name, {{"x", "1"}, {"y", "2"}}));
    EXPECT_EQ(*d->db->keys(d->name), (std::vector<std::string>{"k", "n", "x", "y"}));
    ASSERT_TRUE(d->db->remove(d->name, "x"));
    EXPECT_FALSE(*d->db->exists(d->name, "x"));
    EXPECT_TRUE(*o->db->exists(o->name, "k"));
    // Compare-and-swap: succeeds only while the value is still what was seen.
    EXPECT_TRUE(*d->db->compare_and_swap(d->name, "c", std::nullopt, "1"));
    EXPECT_FALSE(*d->db->compare_and_swap(d->name, "c", std::nullopt, "2"));
    EXPECT_TRUE(*d->db->compare_and_swap(d->name, "c", std::string("1"), "2"));
    EXPECT_EQ(**d->db->get(d->name, "c"), "2");
  }
  auto reopened = key_value::Stores::open(path, {});
  ASSERT_TRUE(reopened);
  const key_value::Store* d = (*reopened)->find("default");
  EXPECT_EQ(**d->db->get(d->name, "y"), "2");
  EXPECT_EQ(*d->db->keys("other"), std::vector<std::string>{"k"});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lepton::factors
