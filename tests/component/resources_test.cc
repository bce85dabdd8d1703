#include "component/resources.h"

#include <gtest/gtest.h>

#include "component/abi_test_util.h"
#include "component/canonical_abi.h"

namespace lepton::component {
namespace {

using testing::BumpRealloc;
using testing::FailsWith;
using testing::raw_i32;

struct Fixture {
  HandleTable table;
  std::vector<uint32_t> destroyed;
  ResourcePtr file = std::make_shared<Resource>("file", nullptr, [this](uint32_t rep) -> Status {
    destroyed.push_back(rep);
    return {};
  });
  ResourcePtr socket = std::make_shared<Resource>("socket");
};

TEST(Resources, NewRepDropLifecycle) {
  Fixture f;
  auto a = resource_new(f.table, f.file, 100);
  auto b = resource_new(f.table, f.file, 200);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, 1u);  // index 0 is never handed out
  EXPECT_EQ(*b, 2u);
  EXPECT_EQ(f.table.size(), 2u);
  EXPECT_EQ(*resource_rep(f.table, *f.file, *b), 200u);
  ASSERT_TRUE(resource_drop(f.table, *f.file, *a).ok());
  EXPECT_EQ(f.destroyed, std::vector<uint32_t>{100});
  EXPECT_EQ(f.table.size(), 1u);
  // The freed slot is reused first.
  EXPECT_EQ(*resource_new(f.table, f.file, 300), 1u);
  EXPECT_EQ(*resource_new(f.table, f.file, 400), 3u);
  EXPECT_EQ(*resource_rep(f.table, *f.file, 1), 300u);
}

TEST(Resources, DroppedAndUnknownHandlesTrap) {
  Fixture f;
  uint32_t h = *resource_new(f.table, f.file, 7);
  ASSERT_TRUE(resource_drop(f.table, *f.file, h).ok());
  EXPECT_TRUE(
      FailsWith(resource_rep(f.table, *f.file, h), "resource handle 1 is not in the table"));
  EXPECT_TRUE(FailsWith(resource_drop(f.table, *f.file, h), "not in the table"));
  EXPECT_TRUE(
      FailsWith(resource_rep(f.table, *f.file, 0), "resource handle 0 is not in the table"));
  EXPECT_TRUE(FailsWith(resource_rep(f.table, *f.file, 99), "not in the table"));
  EXPECT_EQ(f.destroyed.size(), 1u);  // the destructor ran exactly once
}

TEST(Resources, WrongTypeTraps) {
  Fixture f;
  uint32_t h = *resource_new(f.table, f.file, 7);
  EXPECT_TRUE(FailsWith(resource_rep(f.table, *f.socket, h), "has type `file`, expected `socket`"));
  EXPECT_TRUE(FailsWith(resource_drop(f.table, *f.socket, h), "expected `socket`"));
  // Same name, different identity (e.g. another instance of the same component).
  Resource other_file("file");
  EXPECT_TRUE(FailsWith(resource_rep(f.table, other_file, h), "different resource type named"));
  EXPECT_TRUE(FailsWith(lift_own(f.table, other_file, h), "different resource type"));
  EXPECT_TRUE(f.destroyed.empty());
  EXPECT_EQ(f.table.size(), 1u);  // failed lifts leave the handle in place
}

TEST(Resources, DestructorErrorsPropagate) {
  HandleTable table;
  auto r = std::make_shared<Resource>("conn", nullptr,
                                      [](uint32_t rep) -> Status { return fail("boom {}", rep); });
  uint32_t h = *resource_new(table, r, 5);
  EXPECT_TRUE(FailsWith(resource_drop(table, *r, h), "destructor of `conn`: boom 5"));
}

TEST(Resources, LentOwnHandlesCannotBeDroppedOrMoved) {
  Fixture f;
  uint32_t h = *resource_new(f.table, f.file, 42);
  {
    ImportCall call(f.table);
    auto rep = lift_borrow(f.table, *f.file, h, &call);
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(*rep, 42u);
    EXPECT_EQ((*f.table.get(h))->num_lends, 1u);
    ASSERT_TRUE(lift_borrow(f.table, *f.file, h, &call).ok());  // lent twice to one call
    EXPECT_EQ((*f.table.get(h))->num_lends, 2u);
    EXPECT_TRUE(FailsWith(resource_drop(f.table, *f.file, h),
                          "cannot drop resource handle 1: it is lent to 2 ongoing call(s)"));
    EXPECT_TRUE(FailsWith(lift_own(f.table, *f.file, h), "cannot move resource handle 1"));
    call.finish();
    EXPECT_EQ((*f.table.get(h))->num_lends, 0u);
  }
  {
    ImportCall call(f.table);
    ASSERT_TRUE(lift_borrow(f.table, *f.file, h, &call).ok());
  }  // the destructor ends the call's lends too
  EXPECT_EQ((*f.table.get(h))->num_lends, 0u);
  auto moved = lift_own(f.table, *f.file, h);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 42u);
  EXPECT_EQ(f.table.size(), 0u);
  EXPECT_TRUE(f.destroyed.empty());  // moving out is not dropping
  EXPECT_TRUE(FailsWith(lift_borrow(f.table, *f.file, h, nullptr), "outside a call"));
}

TEST(Resources, BorrowsMustBeDroppedBeforeTheCallReturns) {
  Fixture f;
  ExportCall call;
  auto b1 = lower_borrow(f.table, f.file, 10, &call);
  auto b2 = lower_borrow(f.table, f.file, 11, &call);
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_EQ(call.num_borrows(), 2u);
  EXPECT_EQ(*resource_rep(f.table, *f.file, *b1), 10u);
  EXPECT_TRUE(FailsWith(lift_own(f.table, *f.file, *b1), "is a borrow where an own handle"));
  EXPECT_TRUE(
      FailsWith(call.finish(), "2 borrowed handle(s) not dropped before the call returned"));
  ASSERT_TRUE(resource_drop(f.table, *f.file, *b1).ok());
  EXPECT_TRUE(FailsWith(call.finish(), "1 borrowed handle(s)"));
  ASSERT_TRUE(resource_drop(f.table, *f.file, *b2).ok());
  EXPECT_TRUE(call.finish().ok());
  EXPECT_TRUE(f.destroyed.empty());  // dropping a borrow never runs the destructor
  EXPECT_TRUE(FailsWith(lower_borrow(f.table, f.file, 1, nullptr), "outside a call"));
}

TEST(Resources, BorrowOfOwnResourceIsItsRep) {
  HandleTable table;
  auto mine = std::make_shared<Resource>("mine", &table);
  ExportCall call;
  auto b = lower_borrow(table, mine, 1234, &call);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, 1234u);
  EXPECT_EQ(call.num_borrows(), 0u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(Resources, HandlesThroughTheCanonicalAbi) {
  Fixture f;
  BumpRealloc mem;
  Context cx = mem.context();
  cx.handles = &f.table;
  auto own = ty::own(f.file);
  auto borrow = ty::borrow(f.file);

  // Host → guest: an own value becomes a new handle in the guest's table.
  std::vector<wasmtime_val_raw_t> out;
  ASSERT_TRUE(lower_flat(cx, Val::own(77), *own, out).ok());
  uint32_t h = static_cast<uint32_t>(out[0].i32);
  EXPECT_EQ(*resource_rep(f.table, *f.file, h), 77u);

  // Guest → host, borrowed for one import call.
  ImportCall call(f.table);
  cx.import_call = &call;
  wasmtime_val_raw_t slot = raw_i32(h);
  FlatReader r1(std::span(&slot, 1));
  auto b = lift_flat(cx, r1, *borrow);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, Val::borrow(77));
  FlatReader r2(std::span(&slot, 1));
  EXPECT_TRUE(FailsWith(lift_flat(cx, r2, *own), "lent to 1 ongoing call"));
  call.finish();

  // Guest → host, moved: the handle leaves the table.
  FlatReader r3(std::span(&slot, 1));
  auto o = lift_flat(cx, r3, *own);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o, Val::own(77));
  FlatReader r4(std::span(&slot, 1));
  EXPECT_TRUE(FailsWith(lift_flat(cx, r4, *own), "not in the table"));

  // Host → guest borrow inside an export call, through memory.
  ExportCall task;
  cx.export_call = &task;
  auto rec = ty::record({{"a", borrow}, {"b", ty::u8()}});
  ASSERT_TRUE(store(cx, Val::record({Val::borrow(5), Val::u8(1)}), 64, *rec).ok());
  EXPECT_EQ(task.num_borrows(), 1u);
  uint32_t bh = mem.get_le<uint32_t>(64);
  EXPECT_TRUE(FailsWith(task.finish(), "not dropped"));
  ASSERT_TRUE(resource_drop(f.table, *f.file, bh).ok());
  EXPECT_TRUE(task.finish().ok());

  // Wrong resource type through the ABI.
  uint32_t sock = *resource_new(f.table, f.socket, 9);
  slot = raw_i32(sock);
  FlatReader r5(std::span(&slot, 1));
  EXPECT_TRUE(FailsWith(lift_flat(cx, r5, *own), "has type `socket`, expected `file`"));
}

}  // namespace
}  // namespace lepton::component
