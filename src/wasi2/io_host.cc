// wasi:io/error, wasi:io/poll and wasi:io/streams as host interfaces over IoState's objects.
#include "wasi2/host_util.h"
#include "wasi2/io.h"
#include "wasi2/wasi2.h"

namespace lepton::wasi2 {

using component::InstanceState;
using component::Val;
using detail::define;
using detail::HostCall;
namespace ty = component::ty;

IoState& io_state(InstanceState& instance) { return instance.state<IoState>(); }

Deadline deadline(InstanceState& instance) {
  const Config* config = instance.find<Config>();
  return config != nullptr ? config->deadline : std::nullopt;
}

uint32_t add_input_stream(InstanceState& instance, std::unique_ptr<InputStream> s) {
  return io_state(instance).input_streams.insert(std::move(s));
}
uint32_t add_output_stream(InstanceState& instance, std::unique_ptr<OutputStream> s) {
  return io_state(instance).output_streams.insert(std::move(s));
}
uint32_t add_pollable(InstanceState& instance, std::unique_ptr<Pollable> p) {
  return io_state(instance).pollables.insert(std::move(p));
}
uint32_t add_error(InstanceState& instance, IoError e) {
  return io_state(instance).errors.insert(std::move(e));
}

namespace {

template <typename T>
Result<T*> lookup(component::ObjectTable<std::unique_ptr<T>>& table, uint32_t rep,
                  std::string_view what) {
  auto* p = table.get(rep);
  if (p == nullptr) return fail("wasi:io: unknown {} {}", what, rep);
  return p->get();
}

}  // namespace

Result<InputStream*> input_stream(InstanceState& instance, uint32_t rep) {
  return lookup(io_state(instance).input_streams, rep, "input-stream");
}
Result<OutputStream*> output_stream(InstanceState& instance, uint32_t rep) {
  return lookup(io_state(instance).output_streams, rep, "output-stream");
}
Result<Pollable*> pollable(InstanceState& instance, uint32_t rep) {
  return lookup(io_state(instance).pollables, rep, "pollable");
}
Result<IoError*> io_error(InstanceState& instance, uint32_t rep) {
  IoError* e = io_state(instance).errors.get(rep);
  if (e == nullptr) return fail("wasi:io: unknown error {}", rep);
  return e;
}

Val stream_error_val(InstanceState& instance, StreamError error) {
  if (error.closed) return Val::variant(1);
  return Val::variant(0, Val::own(add_error(instance, std::move(error.error))));
}

namespace {

// result<T, stream-error> from a StreamResult, with `ok` making T's value.
template <typename T, typename MakeOk>
Val to_result(InstanceState& inst, StreamResult<T>&& r, MakeOk ok) {
  if (!r.ok()) return Val::err(stream_error_val(inst, std::move(r.error())));
  return ok(std::move(r.value()));
}

Val unit_result(InstanceState& inst, StreamStatus&& r) {
  return to_result(inst, std::move(r), [](std::monostate) { return Val::ok(); });
}
Val bytes_result(InstanceState& inst, StreamResult<std::string>&& r) {
  return to_result(inst, std::move(r),
                   [](std::string s) { return Val::ok(Val::bytes(std::move(s))); });
}
Val u64_result(InstanceState& inst, StreamResult<uint64_t>&& r) {
  return to_result(inst, std::move(r), [](uint64_t n) { return Val::ok(Val::u64(n)); });
}

void register_error(component::HostRegistry& registry) {
  auto& iface = registry.add("wasi:io/error");
  auto error = iface.resource("error", detail::drop_from(&IoState::errors, "error"));
  define(iface, "[method]error.to-debug-string",
         ty::func({{"self", ty::borrow(error)}}, {ty::string()}), [](HostCall& c) -> Status {
           LEPTON_TRY(IoError * e, io_error(c.instance, c.args[0].rep()));
           c.results.push_back(Val::string(e->message));
           return {};
         });
}

void register_poll(component::HostRegistry& registry) {
  auto& iface = registry.add("wasi:io/poll");
  auto pollable_t = iface.resource("pollable", detail::drop_from(&IoState::pollables, "pollable"));
  auto self = ty::borrow(pollable_t);
  define(iface, "[method]pollable.ready", ty::func({{"self", self}}, {ty::bool_()}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(Pollable * p, pollable(c.instance, c.args[0].rep()));
           c.results.push_back(Val::bool_(p->ready()));
           return {};
         });
  define(iface, "[method]pollable.block", ty::func({{"self", self}}, {}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(Pollable * p, pollable(c.instance, c.args[0].rep()));
           std::vector<Pollable*> one{p};
           Deadline dl = deadline(c.instance);
           if (wait_any(one, dl).empty()) return wait_failed("pollable.block", dl);
           return {};
         });
  define(iface, "poll", ty::func({{"in", ty::list(self)}}, {ty::list(ty::u32())}),
         [](HostCall& c) -> Status {
           std::span<const Val> in = c.args[0].items();
           // The spec: "the list of pollables must not be empty" (Wasmtime traps too).
           if (in.empty()) return fail("wasi:io/poll: poll called with an empty list");
           if (in.size() > UINT32_MAX) return fail("wasi:io/poll: too many pollables");
           std::vector<Pollable*> ps;
           ps.reserve(in.size());
           for (const Val& v : in) {
             LEPTON_TRY(Pollable * p, pollable(c.instance, v.rep()));
             ps.push_back(p);
           }
           Deadline dl = deadline(c.instance);
           std::vector<uint32_t> ready = wait_any(ps, dl);
           if (ready.empty()) return wait_failed("poll", dl);
           std::vector<Val> out;
           out.reserve(ready.size());
           for (uint32_t i : ready) out.push_back(Val::u32(i));
           c.results.push_back(Val::list(std::move(out)));
           return {};
         });
}

void register_streams(component::HostRegistry& registry) {
  auto error = registry.resource("wasi:io/error", "error");
  auto pollable_t = registry.resource("wasi:io/poll", "pollable");
  auto& iface = registry.add("wasi:io/streams");
  auto input =
      iface.resource("input-stream", detail::drop_from(&IoState::input_streams, "input-stream"));
  auto output =
      iface.resource("output-stream", detail::drop_from(&IoState::output_streams, "output-stream"));
  auto stream_error = ty::variant({{"last-operation-failed", ty::own(error)}, {"closed", nullptr}});
  auto in_self = ty::borrow(input);
  auto out_self = ty::borrow(output);
  auto bytes_r = ty::result(ty::list(ty::u8()), stream_error);
  auto u64_r = ty::result(ty::u64(), stream_error);
  auto unit_r = ty::result(nullptr, stream_error);

  define(iface, "[method]input-stream.read",
         ty::func({{"self", in_self}, {"len", ty::u64()}}, {bytes_r}), [](HostCall& c) -> Status {
           LEPTON_TRY(InputStream * s, input_stream(c.instance, c.args[0].rep()));
           c.results.push_back(bytes_result(c.instance, s->read(c.args[1].as_uint())));
           return {};
         });
  define(iface, "[method]input-stream.blocking-read",
         ty::func({{"self", in_self}, {"len", ty::u64()}}, {bytes_r}), [](HostCall& c) -> Status {
           LEPTON_TRY(InputStream * s, input_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(auto r, s->blocking_read(c.args[1].as_uint(), deadline(c.instance)));
           c.results.push_back(bytes_result(c.instance, std::move(r)));
           return {};
         });
  define(iface, "[method]input-stream.skip",
         ty::func({{"self", in_self}, {"len", ty::u64()}}, {u64_r}), [](HostCall& c) -> Status {
           LEPTON_TRY(InputStream * s, input_stream(c.instance, c.args[0].rep()));
           c.results.push_back(u64_result(c.instance, s->skip(c.args[1].as_uint())));
           return {};
         });
  define(iface, "[method]input-stream.blocking-skip",
         ty::func({{"self", in_self}, {"len", ty::u64()}}, {u64_r}), [](HostCall& c) -> Status {
           LEPTON_TRY(InputStream * s, input_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(auto r, s->blocking_skip(c.args[1].as_uint(), deadline(c.instance)));
           c.results.push_back(u64_result(c.instance, std::move(r)));
           return {};
         });
  define(iface, "[method]input-stream.subscribe",
         ty::func({{"self", in_self}}, {ty::own(pollable_t)}), [](HostCall& c) -> Status {
           LEPTON_TRY(InputStream * s, input_stream(c.instance, c.args[0].rep()));
           c.results.push_back(Val::own(add_pollable(c.instance, s->subscribe())));
           return {};
         });

  define(iface, "[method]output-stream.check-write", ty::func({{"self", out_self}}, {u64_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           c.results.push_back(u64_result(c.instance, s->check_write()));
           return {};
         });
  define(iface, "[method]output-stream.write",
         ty::func({{"self", out_self}, {"contents", ty::list(ty::u8())}}, {unit_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           c.results.push_back(unit_result(c.instance, s->write(c.args[1].as_bytes())));
           return {};
         });
  define(iface, "[method]output-stream.blocking-write-and-flush",
         ty::func({{"self", out_self}, {"contents", ty::list(ty::u8())}}, {unit_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(auto r,
                      s->blocking_write_and_flush(c.args[1].as_bytes(), deadline(c.instance)));
           c.results.push_back(unit_result(c.instance, std::move(r)));
           return {};
         });
  define(iface, "[method]output-stream.flush", ty::func({{"self", out_self}}, {unit_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           c.results.push_back(unit_result(c.instance, s->flush()));
           return {};
         });
  define(iface, "[method]output-stream.blocking-flush", ty::func({{"self", out_self}}, {unit_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(auto r, s->blocking_flush(deadline(c.instance)));
           c.results.push_back(unit_result(c.instance, std::move(r)));
           return {};
         });
  define(iface, "[method]output-stream.subscribe",
         ty::func({{"self", out_self}}, {ty::own(pollable_t)}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           c.results.push_back(Val::own(add_pollable(c.instance, s->subscribe())));
           return {};
         });
  define(iface, "[method]output-stream.write-zeroes",
         ty::func({{"self", out_self}, {"len", ty::u64()}}, {unit_r}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           c.results.push_back(unit_result(c.instance, s->write_zeroes(c.args[1].as_uint())));
           return {};
         });
  define(iface, "[method]output-stream.blocking-write-zeroes-and-flush",
         ty::func({{"self", out_self}, {"len", ty::u64()}}, {unit_r}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(auto r, s->blocking_write_zeroes_and_flush(c.args[1].as_uint(),
                                                                 deadline(c.instance)));
           c.results.push_back(unit_result(c.instance, std::move(r)));
           return {};
         });
  define(iface, "[method]output-stream.splice",
         ty::func({{"self", out_self}, {"src", in_self}, {"len", ty::u64()}}, {u64_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(InputStream * src, input_stream(c.instance, c.args[1].rep()));
           c.results.push_back(u64_result(c.instance, s->splice(*src, c.args[2].as_uint())));
           return {};
         });
  define(iface, "[method]output-stream.blocking-splice",
         ty::func({{"self", out_self}, {"src", in_self}, {"len", ty::u64()}}, {u64_r}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutputStream * s, output_stream(c.instance, c.args[0].rep()));
           LEPTON_TRY(InputStream * src, input_stream(c.instance, c.args[1].rep()));
           LEPTON_TRY(auto r, s->blocking_splice(*src, c.args[2].as_uint(), deadline(c.instance)));
           c.results.push_back(u64_result(c.instance, std::move(r)));
           return {};
         });
}

}  // namespace

void register_io(component::HostRegistry& registry) {
  register_error(registry);
  register_poll(registry);
  register_streams(registry);
}

}  // namespace lepton::wasi2
