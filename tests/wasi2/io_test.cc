// wasi:io: streams (memory, sink, pipe with backpressure), pollables and poll, through the C++
// API and through the registered host functions.
#include "wasi2/io.h"

#include <atomic>
#include <thread>

#include "wasi2/host_fixture.h"

namespace lepton::wasi2 {
namespace {

using namespace std::chrono_literals;
using component::Val;
using testing::FailsWith;
using testing::Host;
using testing::ok_of;

constexpr std::string_view kStreams = "wasi:io/streams";
constexpr std::string_view kPoll = "wasi:io/poll";

TEST(Pipe, CheckWriteShrinksAndOverrunsFail) {
  auto [reader, writer] = make_pipe(8);
  EXPECT_EQ(writer->check_write().value(), 8u);
  ASSERT_TRUE(writer->write("hello").ok());
  EXPECT_EQ(writer->check_write().value(), 3u);
  EXPECT_TRUE(writer->subscribe()->ready());  // 3 bytes free: writable
  auto over = writer->write("toolong");
  ASSERT_FALSE(over.ok());
  EXPECT_FALSE(over.error().closed);
  EXPECT_NE(over.error().error.message.find("exceeds"), std::string::npos);
  ASSERT_TRUE(writer->write("abc").ok());
  EXPECT_EQ(writer->check_write().value(), 0u);
  EXPECT_FALSE(writer->subscribe()->ready());

  auto got = reader->read(3);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), "hel");
  EXPECT_EQ(writer->check_write().value(), 3u);
  EXPECT_TRUE(writer->subscribe()->ready());
}

TEST(Pipe, ReaderSeesNothingUntilWrittenThenClosedAfterDrain) {
  auto [reader, writer] = make_pipe(16);
  auto p = reader->subscribe();
  EXPECT_FALSE(p->ready());
  auto empty = reader->read(10);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value(), "");
  ASSERT_TRUE(writer->write("xy").ok());
  EXPECT_TRUE(p->ready());
  writer->close();
  EXPECT_EQ(reader->read(10).value(), "xy");  // buffered bytes survive the close
  auto end = reader->read(10);
  ASSERT_FALSE(end.ok());
  EXPECT_TRUE(end.error().closed);
  EXPECT_TRUE(p->ready());
}

TEST(Pipe, CloseWithErrorReachesReader) {
  auto [reader, writer] = make_pipe(16);
  writer->close_with_error(IoError{"upstream reset", "", std::nullopt});
  auto r = reader->read(1);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.error().closed);
  EXPECT_EQ(r.error().error.message, "upstream reset");
}

TEST(Pipe, DroppedReaderClosesWriter) {
  auto [reader, writer] = make_pipe(4);
  ASSERT_TRUE(writer->write("abcd").ok());
  EXPECT_FALSE(writer->subscribe()->ready());
  reader.reset();
  EXPECT_TRUE(writer->subscribe()->ready());
  auto c = writer->check_write();
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.error().closed);
  auto f = writer->blocking_flush(std::nullopt);  // must not wait for a reader that is gone
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->error().closed);
}

TEST(Pipe, BlockingWriterWaitsForReaderAcrossThreads) {
  auto [reader, writer] = make_pipe(8);
  std::string payload;
  for (int i = 0; i < 40; ++i) payload += static_cast<char>('a' + i % 26);
  std::atomic<bool> done{false};
  std::thread producer([&, w = writer.get()] {
    auto r = w->blocking_write_and_flush(payload, std::nullopt);
    EXPECT_TRUE(r.ok() && r->ok());
    done = true;
  });
  std::this_thread::sleep_for(50ms);
  // 40 bytes cannot fit in 8: the writer is blocked until this thread reads.
  EXPECT_FALSE(done.load());
  std::string got;
  while (got.size() < payload.size()) {
    auto r = reader->blocking_read(3, Clock::now() + 10s);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->ok());
    EXPECT_LE(r->value().size(), 3u);
    got += r->value();
  }
  producer.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(got, payload);
}

TEST(Pipe, BlockingReadWakesOnCloseFromAnotherThread) {
  auto [reader, writer] = make_pipe(8);
  std::thread closer([w = writer.get()] {
    std::this_thread::sleep_for(30ms);
    w->close();
  });
  auto start = Clock::now();
  auto r = reader->blocking_read(8, Clock::now() + 10s);
  closer.join();
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->ok());
  EXPECT_TRUE(r->error().closed);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(Pipe, BlockingReadTrapsAtDeadline) {
  auto [reader, writer] = make_pipe(8);
  auto start = Clock::now();
  auto r = reader->blocking_read(8, start + 40ms);
  EXPECT_TRUE(FailsWith(r, "deadline"));
  EXPECT_GE(Clock::now() - start, 40ms);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(Streams, MemoryInputReadsThenCloses) {
  MemoryInputStream in("abcdef");
  EXPECT_EQ(in.read(2).value(), "ab");
  EXPECT_EQ(in.skip(3).value(), 3u);
  EXPECT_EQ(in.read(10).value(), "f");
  EXPECT_TRUE(in.read(1).error().closed);
}

TEST(Streams, HostFunctionsOverPipe) {
  Host h;
  auto [reader, writer] = make_pipe(8);
  uint32_t in = add_input_stream(h.instance, std::move(reader));
  uint32_t out = add_output_stream(h.instance, std::move(writer));
  EXPECT_EQ(ok_of(h.call(kStreams, "[method]output-stream.check-write", {Val::borrow(out)})),
            Val::u64(8));
  EXPECT_EQ(
      h.call(kStreams, "[method]output-stream.write", {Val::borrow(out), Val::bytes("12345")}),
      Val::ok());
  EXPECT_EQ(ok_of(h.call(kStreams, "[method]output-stream.check-write", {Val::borrow(out)})),
            Val::u64(3));
  EXPECT_EQ(h.call(kStreams, "[method]output-stream.write-zeroes", {Val::borrow(out), Val::u64(2)}),
            Val::ok());
  EXPECT_EQ(ok_of(h.call(kStreams, "[method]input-stream.read", {Val::borrow(in), Val::u64(100)})),
            Val::bytes(std::string("12345\0\0", 7)));

  // A write beyond the permit is last-operation-failed with an error resource.
  Val failed =
      h.call(kStreams, "[method]output-stream.write", {Val::borrow(out), Val::bytes("123456789")});
  ASSERT_EQ(failed.case_index(), 1u);
  const Val& se = *failed.payload();
  ASSERT_EQ(se.case_index(), 0u);  // last-operation-failed
  uint32_t err = se.payload()->rep();
  Val msg = h.call("wasi:io/error", "[method]error.to-debug-string", {Val::borrow(err)});
  EXPECT_NE(msg.as_string().find("exceeds"), std::string::npos);
  ASSERT_TRUE(h.drop("wasi:io/error", "error", err).ok());
  EXPECT_EQ(io_state(h.instance).errors.size(), 0u);

  // Dropping the writer ends the reader: closed is case 1 without payload.
  ASSERT_TRUE(h.drop(kStreams, "output-stream", out).ok());
  EXPECT_EQ(h.call(kStreams, "[method]input-stream.read", {Val::borrow(in), Val::u64(1)}),
            Val::err(Val::variant(1)));
  ASSERT_TRUE(h.drop(kStreams, "input-stream", in).ok());
  EXPECT_EQ(io_state(h.instance).input_streams.size(), 0u);
  EXPECT_EQ(io_state(h.instance).output_streams.size(), 0u);
  // A dropped handle is gone: a second drop and a method call on it trap.
  EXPECT_FALSE(h.drop(kStreams, "input-stream", in).ok());
  EXPECT_TRUE(
      FailsWith(h.try_call(kStreams, "[method]input-stream.read", {Val::borrow(in), Val::u64(1)}),
                "unknown input-stream"));
}

TEST(Streams, SpliceMovesBytes) {
  Host h;
  uint32_t in = add_input_stream(h.instance, std::make_unique<MemoryInputStream>("splice me"));
  std::string sunk;
  uint32_t out = add_output_stream(
      h.instance, std::make_unique<SinkOutputStream>([&](std::string_view s) { sunk += s; }));
  EXPECT_EQ(ok_of(h.call(kStreams, "[method]output-stream.splice",
                         {Val::borrow(out), Val::borrow(in), Val::u64(6)})),
            Val::u64(6));
  EXPECT_EQ(ok_of(h.call(kStreams, "[method]output-stream.blocking-splice",
                         {Val::borrow(out), Val::borrow(in), Val::u64(100)})),
            Val::u64(3));
  EXPECT_EQ(sunk, "splice me");
  EXPECT_EQ(h.call(kStreams, "[method]output-stream.splice",
                   {Val::borrow(out), Val::borrow(in), Val::u64(6)}),
            Val::err(Val::variant(1)));
}

TEST(Poll, EmptyListTraps) {
  Host h;
  EXPECT_TRUE(FailsWith(h.try_call(kPoll, "poll", {Val::list({})}), "empty list"));
}

TEST(Poll, ReturnsOnlyReadyIndices) {
  Host h;
  uint32_t later =
      h.call("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(10'000'000'000)}).rep();
  uint32_t now = h.call("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(0)}).rep();
  auto start = Clock::now();
  Val ready = h.call(kPoll, "poll", {Val::list({Val::borrow(later), Val::borrow(now)})});
  EXPECT_EQ(ready, Val::list({Val::u32(1)}));
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(h.call(kPoll, "[method]pollable.ready", {Val::borrow(later)}), Val::bool_(false));
  EXPECT_EQ(h.call(kPoll, "[method]pollable.ready", {Val::borrow(now)}), Val::bool_(true));
  ASSERT_TRUE(h.drop(kPoll, "pollable", later).ok());
  ASSERT_TRUE(h.drop(kPoll, "pollable", now).ok());
  EXPECT_EQ(io_state(h.instance).pollables.size(), 0u);
}

TEST(Poll, WakesOnPipeWrittenByAnotherThread) {
  Host h;
  auto [reader, writer] = make_pipe(8);
  uint32_t in = add_input_stream(h.instance, std::move(reader));
  uint32_t p = h.call(kStreams, "[method]input-stream.subscribe", {Val::borrow(in)}).rep();
  uint32_t timer =
      h.call("wasi:clocks/monotonic-clock", "subscribe-duration", {Val::u64(10'000'000'000)}).rep();
  std::thread feeder([w = writer.get()] {
    std::this_thread::sleep_for(30ms);
    ASSERT_TRUE(w->write("x").ok());
  });
  auto start = Clock::now();
  Val ready = h.call(kPoll, "poll", {Val::list({Val::borrow(timer), Val::borrow(p)})});
  feeder.join();
  EXPECT_EQ(ready, Val::list({Val::u32(1)}));
  EXPECT_LT(Clock::now() - start, 5s);
}

// Never ready and nothing else can change it: waiting would hang the request.
class NeverReady final : public Pollable {
 public:
  bool ready() override { return false; }
};

TEST(Poll, PollableThatCanNeverBecomeReadyTraps) {
  Host h;
  uint32_t p = add_pollable(h.instance, std::make_unique<NeverReady>());
  EXPECT_TRUE(
      FailsWith(h.try_call(kPoll, "poll", {Val::list({Val::borrow(p)})}), "would block forever"));
  EXPECT_TRUE(
      FailsWith(h.try_call(kPoll, "[method]pollable.block", {Val::borrow(p)}), "block forever"));
}

}  // namespace
}  // namespace lepton::wasi2
