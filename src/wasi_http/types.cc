// wasi:http/types and wasi:http/outgoing-handler host functions (WIT of wasi:http 0.2.x).
#include <fmt/format.h>

#include <algorithm>

#include "http/client.h"
#include "outbound/outbound.h"
#include "wasi2/host_util.h"
#include "wasi2/io.h"
#include "wasi_http/wasi_http.h"

namespace lepton::wasi_http {

using component::HostCall;
using component::HostInterface;
using component::HostRegistry;
using component::InstanceState;
using component::ObjectTable;
using component::ResourcePtr;
using component::Type;
using component::TypePtr;
using component::Val;
namespace ty = component::ty;

namespace {

// ---- per-request objects ---------------------------------------------------------------------

struct FieldsHandle {
  std::shared_ptr<FieldsData> data;
  bool immutable = false;
};

// A request body still arriving from the client (http::RequestBody), shared by the input stream
// the guest reads it through and the future-trailers waiting for its end. Wakes guests waiting on
// either when more arrives.
class BodyFeed {
 public:
  explicit BodyFeed(http::RequestBody* body) : body_(body) {
    body_->on_ready([this] { wake_.wake_all(); });
  }
  ~BodyFeed() { body_->on_ready({}); }
  BodyFeed(const BodyFeed&) = delete;
  BodyFeed& operator=(const BodyFeed&) = delete;

  http::RequestBody& body() { return *body_; }
  wasi2::WakeList& wake() { return wake_; }
  // What read() would answer, without taking anything.
  http::RequestBody::State peek() {
    std::string none;
    return body_->read(none, 0);
  }
  // Drops what has arrived: the guest finished the body without reading all of it, and the
  // trailers come after it. Never blocks.
  http::RequestBody::State skip() {
    std::string sink;
    while (true) {
      sink.clear();
      auto state = body_->read(sink, wasi2::kMaxTransfer);
      if (state != http::RequestBody::State::kData || sink.empty()) return state;
    }
  }

 private:
  http::RequestBody* body_;
  wasi2::WakeList wake_;
};

// Ready when the feed has something new for its reader (`trailers`: when the body has ended).
class FeedPollable final : public wasi2::Pollable {
 public:
  FeedPollable(std::shared_ptr<BodyFeed> feed, bool trailers)
      : feed_(std::move(feed)), trailers_(trailers) {}
  bool ready() override {
    auto state = trailers_ ? feed_->skip() : feed_->peek();
    return state != http::RequestBody::State::kPending;
  }
  wasi2::WakeList* wake_list() override { return &feed_->wake(); }

 private:
  std::shared_ptr<BodyFeed> feed_;
  bool trailers_;
};

class FeedInputStream final : public wasi2::InputStream {
 public:
  explicit FeedInputStream(std::shared_ptr<BodyFeed> feed) : feed_(std::move(feed)) {}
  wasi2::StreamResult<std::string> read(uint64_t len) override {
    std::string out;
    switch (feed_->body().read(out, std::min(len, wasi2::kMaxTransfer))) {
      case http::RequestBody::State::kData:
      case http::RequestBody::State::kPending:
        return out;
      case http::RequestBody::State::kEnd:
        return wasi2::StreamError::end();
      case http::RequestBody::State::kError:
        break;
    }
    return wasi2::StreamError::failed(feed_->body().error());
  }
  std::unique_ptr<wasi2::Pollable> subscribe() override {
    return std::make_unique<FeedPollable>(feed_, false);
  }

 private:
  std::shared_ptr<BodyFeed> feed_;
};

// An incoming body: buffered (`data`, and `trailers` known up front) or arriving (`feed`).
struct BodySource {
  std::string data;
  std::shared_ptr<BodyFeed> feed;
  std::shared_ptr<FieldsData> trailers;
};

struct IncomingRequest {
  std::string method;
  std::string path_with_query;
  std::string scheme;
  std::string authority;
  std::shared_ptr<FieldsData> headers;
  BodySource body;
  bool consumed = false;
};

struct IncomingBody {
  BodySource source;
  bool stream_taken = false;
};

struct FutureTrailers {
  BodySource source;  // its data is gone: only the trailers (or the feed that brings them)
  bool taken = false;
};

struct OutgoingResponse {
  uint16_t status = 200;
  std::shared_ptr<FieldsData> headers;
  std::shared_ptr<BodyBuffer> body;
  bool body_taken = false;
};

struct OutgoingBody {
  std::shared_ptr<BodyBuffer> buffer;
  bool stream_taken = false;
};

struct OutgoingRequest {
  Val method = Val::variant(0);  // get
  std::optional<std::string> path_with_query;
  std::optional<Val> scheme;
  std::optional<std::string> authority;
  std::shared_ptr<FieldsData> headers;
  std::shared_ptr<BodyBuffer> body;
  bool body_taken = false;
};

struct RequestOptions {
  std::optional<uint64_t> connect_timeout, first_byte_timeout, between_bytes_timeout;  // ns
};

struct IncomingResponse {
  uint16_t status = 0;
  std::shared_ptr<FieldsData> headers;
  std::string body;
  bool consumed = false;
};

// An outgoing request waiting to be sent: it goes out when its body is complete (or was never
// taken), on the first get().
struct PendingResponse {
  http::OutgoingRequest request;
  std::shared_ptr<BodyBuffer> body;
  bool body_taken = false;
  bool sent = false;
  bool delivered = false;
  // allowed_outbound_hosts refused the destination: the future is ready at once and get()
  // answers HTTP-request-denied (as Spin, whose denial comes from the future, not from handle).
  bool denied = false;
  std::optional<Result<http::Response>> result;
  // Service chaining: the component a *.spin.internal request goes to, and how to reach it.
  std::string chained_component;
  std::function<http::Response(std::string_view, const http::Request&)> chain;
  bool can_send() const { return denied || !body_taken || body->finished; }

  Result<http::Response> send() {
    if (chained_component.empty()) return http::send(request);
    // In memory, as the app's own trigger would receive it from a client on this host.
    http::Request r;
    r.method = request.method;
    r.target = request.url.target;
    size_t q = r.target.find('?');
    r.path = r.target.substr(0, q);
    if (q != std::string::npos) r.query = r.target.substr(q + 1);
    r.headers = request.headers;
    for (auto& h : r.headers) http::lowercase_ascii(h.name);
    r.body = request.body;
    r.host = request.url.host;
    r.scheme = "http";
    r.client_addr = "127.0.0.1:0";
    return chain(chained_component, r);
  }
};

constexpr std::string_view kServiceChainingSuffix = ".spin.internal";

struct HttpState {
  ObjectTable<FieldsHandle> fields;
  ObjectTable<IncomingRequest> incoming_requests;
  ObjectTable<IncomingBody> incoming_bodies;
  ObjectTable<FutureTrailers> future_trailers;
  ObjectTable<OutgoingResponse> outgoing_responses;
  ObjectTable<OutgoingBody> outgoing_bodies;
  ObjectTable<bool> outparams;  // true once set
  ObjectTable<OutgoingRequest> outgoing_requests;
  ObjectTable<RequestOptions> request_options;
  ObjectTable<std::shared_ptr<PendingResponse>> future_responses;
  ObjectTable<IncomingResponse> incoming_responses;
  std::optional<ResponseOut> response;
};

HttpState& state(InstanceState& instance) { return instance.state<HttpState>(); }

template <typename T>
Result<T*> get(ObjectTable<T>& table, uint32_t rep, std::string_view what) {
  T* v = table.get(rep);
  if (v == nullptr) return fail("unknown {} {}", what, rep);
  return v;
}

template <typename T>
Result<T> take(ObjectTable<T>& table, uint32_t rep, std::string_view what) {
  auto v = table.remove(rep);
  if (!v) return fail("unknown {} {}", what, rep);
  return std::move(*v);
}

// ---- the body a guest writes -----------------------------------------------------------------

// Starts streaming the response once its body has outgrown the threshold and the guest has set
// it: headers go out, buffered bytes follow, later writes go straight to the connection.
Status maybe_stream(InstanceState& instance, const std::shared_ptr<BodyBuffer>& body);

class BodyWriter final : public wasi2::OutputStream {
 public:
  BodyWriter(InstanceState& instance, std::shared_ptr<BodyBuffer> body)
      : instance_(instance), body_(std::move(body)) {}
  wasi2::StreamResult<uint64_t> check_write() override {
    if (body_->finished) return wasi2::StreamError::end();
    return wasi2::kMaxTransfer;
  }
  wasi2::StreamStatus write(std::string_view data) override {
    if (body_->finished) return wasi2::StreamError::end();
    if (body_->sink) {
      if (!body_->sink(data)) return wasi2::StreamError::end();  // the client went away
      return wasi2::stream_ok();
    }
    body_->data.append(data);
    if (!maybe_stream(instance_, body_).ok()) return wasi2::StreamError::end();
    return wasi2::stream_ok();
  }
  wasi2::StreamStatus flush() override { return wasi2::stream_ok(); }
  std::unique_ptr<wasi2::Pollable> subscribe() override {
    return std::make_unique<wasi2::ReadyPollable>();
  }

 private:
  InstanceState& instance_;
  std::shared_ptr<BodyBuffer> body_;
};

class PendingPollable final : public wasi2::Pollable {
 public:
  explicit PendingPollable(std::shared_ptr<PendingResponse> p) : p_(std::move(p)) {}
  bool ready() override { return p_->can_send(); }

 private:
  std::shared_ptr<PendingResponse> p_;
};

// ---- header validation (RFC 9110 tokens and field values) ------------------------------------

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c >= 'a' && c <= 'z') continue;
    if (c >= 'A' && c <= 'Z') continue;
    if (c >= '0' && c <= '9') continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos)
      continue;
    return false;
  }
  return true;
}

bool is_field_value(std::string_view s) {
  for (unsigned char c : s)
    if (c == '\r' || c == '\n' || c == 0) return false;
  return true;
}

// Hop-by-hop headers a guest may not set (as Wasmtime's wasi:http refuses them).
bool is_forbidden(std::string_view name) {
  for (std::string_view f : {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                             "upgrade", "http2-settings", "te"})
    if (http::header_name_equals(name, f)) return true;
  return false;
}

enum HeaderError : uint32_t { kInvalidSyntax = 0, kForbidden = 1, kImmutable = 2 };

// ---- types -----------------------------------------------------------------------------------

struct Types {
  ResourcePtr fields, incoming_request, outgoing_request, request_options, response_outparam,
      incoming_response, incoming_body, future_trailers, outgoing_response, outgoing_body,
      future_incoming_response, input_stream, output_stream, pollable, io_error;
  TypePtr method, scheme, error_code, header_error, field_entries, bytes;
};

TypePtr variant(std::vector<std::pair<std::string, TypePtr>> cases) {
  std::vector<Type::Case> out;
  for (auto& [n, t] : cases) out.push_back({n, t});
  return *Type::variant(std::move(out));
}

TypePtr error_code_type() {
  auto ostr = ty::option(ty::string());
  auto ou32 = ty::option(ty::u32());
  auto ou64 = ty::option(ty::u64());
  auto dns = ty::record({{"rcode", ostr}, {"info-code", ty::option(ty::u16())}});
  auto tls = ty::record({{"alert-id", ty::option(ty::u8())}, {"alert-message", ostr}});
  auto fsize = ty::record({{"field-name", ostr}, {"field-size", ou32}});
  return variant({{"DNS-timeout", nullptr},
                  {"DNS-error", dns},
                  {"destination-not-found", nullptr},
                  {"destination-unavailable", nullptr},
                  {"destination-IP-prohibited", nullptr},
                  {"destination-IP-unroutable", nullptr},
                  {"connection-refused", nullptr},
                  {"connection-terminated", nullptr},
                  {"connection-timeout", nullptr},
                  {"connection-read-timeout", nullptr},
                  {"connection-write-timeout", nullptr},
                  {"connection-limit-reached", nullptr},
                  {"TLS-protocol-error", nullptr},
                  {"TLS-certificate-error", nullptr},
                  {"TLS-alert-received", tls},
                  {"HTTP-request-denied", nullptr},
                  {"HTTP-request-length-required", nullptr},
                  {"HTTP-request-body-size", ou64},
                  {"HTTP-request-method-invalid", nullptr},
                  {"HTTP-request-URI-invalid", nullptr},
                  {"HTTP-request-URI-too-long", nullptr},
                  {"HTTP-request-header-section-size", ou32},
                  {"HTTP-request-header-size", ty::option(fsize)},
                  {"HTTP-request-trailer-section-size", ou32},
                  {"HTTP-request-trailer-size", fsize},
                  {"HTTP-response-incomplete", nullptr},
                  {"HTTP-response-header-section-size", ou32},
                  {"HTTP-response-header-size", fsize},
                  {"HTTP-response-body-size", ou64},
                  {"HTTP-response-trailer-section-size", ou32},
                  {"HTTP-response-trailer-size", fsize},
                  {"HTTP-response-transfer-coding", ostr},
                  {"HTTP-response-content-coding", ostr},
                  {"HTTP-response-timeout", nullptr},
                  {"HTTP-upgrade-failed", nullptr},
                  {"HTTP-protocol-error", nullptr},
                  {"loop-detected", nullptr},
                  {"configuration-error", nullptr},
                  {"internal-error", ostr}});
}

enum ErrorCode : uint32_t {
  kDnsError = 1,
  kDestinationNotFound = 2,
  kDestinationIpProhibited = 4,
  kConnectionRefused = 6,
  kConnectionTimeout = 8,
  kTlsProtocolError = 12,
  kTlsCertificateError = 13,
  kHttpRequestDenied = 15,
  kHttpRequestUriInvalid = 19,
  kHttpProtocolError = 35,
  kInternalError = 38,
};

Val internal_error(std::string message) {
  return Val::variant(kInternalError, Val::some(Val::string(std::move(message))));
}

const char* kMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                          "CONNECT", "OPTIONS", "TRACE", "PATCH"};

Val method_val(std::string_view method) {
  for (uint32_t i = 0; i < 9; ++i)
    if (method == kMethods[i]) return Val::variant(i);
  return Val::variant(9, Val::string(std::string(method)));
}

Result<std::string> method_text(const Val& v) {
  if (v.case_index() < 9) return std::string(kMethods[v.case_index()]);
  const std::string& other = v.payload()->as_string();
  if (!is_token(other)) return fail("invalid method");
  return other;
}

Val scheme_val(std::string_view scheme) {
  if (scheme == "http") return Val::variant(0);
  if (scheme == "https") return Val::variant(1);
  return Val::variant(2, Val::string(std::string(scheme)));
}

std::string scheme_text(const Val& v) {
  if (v.case_index() == 0) return "http";
  if (v.case_index() == 1) return "https";
  return v.payload()->as_string();
}

Val entries_val(const FieldsData& f) {
  std::vector<Val> items;
  items.reserve(f.entries.size());
  for (const auto& h : f.entries)
    items.push_back(Val::tuple({Val::string(h.name), Val::bytes(h.value)}));
  return Val::list(std::move(items));
}

uint32_t add_fields(InstanceState& inst, std::shared_ptr<FieldsData> data, bool immutable) {
  return state(inst).fields.insert(FieldsHandle{std::move(data), immutable});
}

// Methods that hand out a child once (body, consume, stream, write): ok(own child) the first
// time, err afterwards, as the WIT specifies.
Status give_once(HostCall& c, bool& taken, const std::function<uint32_t()>& make) {
  if (taken) {
    c.results.push_back(Val::err());
    return {};
  }
  taken = true;
  c.results.push_back(Val::ok(Val::own(make())));
  return {};
}

using wasi2::detail::define;

template <typename T>
component::HostDrop drop_in(ObjectTable<T> HttpState::* table, std::string what) {
  return [table, what = std::move(what)](InstanceState& inst, uint32_t rep) -> Status {
    if (!(state(inst).*table).remove(rep)) return fail("dropping unknown {} {}", what, rep);
    return {};
  };
}

// Checks a header name/value for a mutable fields handle: the header-error case, or none.
std::optional<uint32_t> check_header(const FieldsHandle& f, std::string_view name,
                                     std::optional<std::string_view> value) {
  if (f.immutable) return kImmutable;
  if (!is_token(name)) return kInvalidSyntax;
  if (value && !is_field_value(*value)) return kInvalidSyntax;
  if (is_forbidden(name)) return kForbidden;
  return std::nullopt;
}

void register_fields(HostInterface& iface, const Types& t) {
  auto self = ty::borrow(t.fields);
  auto unit_or_header_error = ty::result(nullptr, t.header_error);
  define(iface, "[constructor]fields", ty::func({}, {ty::own(t.fields)}),
         [](HostCall& c) -> Status {
           c.results.push_back(
               Val::own(add_fields(c.instance, std::make_shared<FieldsData>(), false)));
           return {};
         });
  define(iface, "[static]fields.from-list",
         ty::func({{"entries", t.field_entries}}, {ty::result(ty::own(t.fields), t.header_error)}),
         [](HostCall& c) -> Status {
           auto data = std::make_shared<FieldsData>();
           FieldsHandle probe{data, false};
           for (const Val& e : c.args[0].items()) {
             const std::string& name = e.items()[0].as_string();
             const std::string& value = e.items()[1].as_bytes();
             if (auto err = check_header(probe, name, value)) {
               c.results.push_back(Val::err(Val::variant(*err)));
               return {};
             }
             data->entries.push_back({name, value});
           }
           c.results.push_back(Val::ok(Val::own(add_fields(c.instance, data, false))));
           return {};
         });
  define(iface, "[method]fields.get",
         ty::func({{"self", self}, {"name", ty::string()}}, {ty::list(t.bytes)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           std::vector<Val> values;
           for (const auto& h : f->data->entries)
             if (http::header_name_equals(h.name, c.args[1].as_string()))
               values.push_back(Val::bytes(h.value));
           c.results.push_back(Val::list(std::move(values)));
           return {};
         });
  define(iface, "[method]fields.has",
         ty::func({{"self", self}, {"name", ty::string()}}, {ty::bool_()}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           c.results.push_back(
               Val::bool_(http::find_header(f->data->entries, c.args[1].as_string()).has_value()));
           return {};
         });
  define(iface, "[method]fields.set",
         ty::func({{"self", self}, {"name", ty::string()}, {"value", ty::list(t.bytes)}},
                  {unit_or_header_error}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           const std::string& name = c.args[1].as_string();
           if (auto err = check_header(*f, name, std::nullopt)) {
             c.results.push_back(Val::err(Val::variant(*err)));
             return {};
           }
           for (const Val& v : c.args[2].items()) {
             if (!is_field_value(v.as_bytes())) {
               c.results.push_back(Val::err(Val::variant(kInvalidSyntax)));
               return {};
             }
           }
           std::erase_if(f->data->entries, [&](const http::Header& h) {
             return http::header_name_equals(h.name, name);
           });
           for (const Val& v : c.args[2].items()) f->data->entries.push_back({name, v.as_bytes()});
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]fields.delete",
         ty::func({{"self", self}, {"name", ty::string()}}, {unit_or_header_error}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           const std::string& name = c.args[1].as_string();
           if (auto err = check_header(*f, name, std::nullopt)) {
             c.results.push_back(Val::err(Val::variant(*err)));
             return {};
           }
           std::erase_if(f->data->entries, [&](const http::Header& h) {
             return http::header_name_equals(h.name, name);
           });
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]fields.append",
         ty::func({{"self", self}, {"name", ty::string()}, {"value", t.bytes}},
                  {unit_or_header_error}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           const std::string& name = c.args[1].as_string();
           if (auto err = check_header(*f, name, c.args[2].as_bytes())) {
             c.results.push_back(Val::err(Val::variant(*err)));
             return {};
           }
           f->data->entries.push_back({name, c.args[2].as_bytes()});
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]fields.entries", ty::func({{"self", self}}, {t.field_entries}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           c.results.push_back(entries_val(*f->data));
           return {};
         });
  define(iface, "[method]fields.clone", ty::func({{"self", self}}, {ty::own(t.fields)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle * f, get(state(c.instance).fields, c.args[0].rep(), "fields"));
           auto copy = std::make_shared<FieldsData>(*f->data);
           c.results.push_back(Val::own(add_fields(c.instance, copy, false)));
           return {};
         });
}

void register_incoming(HostInterface& iface, const Types& t) {
  auto self = ty::borrow(t.incoming_request);
  define(iface, "[method]incoming-request.method", ty::func({{"self", self}}, {t.method}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingRequest * r, get(state(c.instance).incoming_requests, c.args[0].rep(),
                                               "incoming-request"));
           c.results.push_back(method_val(r->method));
           return {};
         });
  define(iface, "[method]incoming-request.path-with-query",
         ty::func({{"self", self}}, {ty::option(ty::string())}), [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingRequest * r, get(state(c.instance).incoming_requests, c.args[0].rep(),
                                               "incoming-request"));
           c.results.push_back(Val::some(Val::string(r->path_with_query)));
           return {};
         });
  define(iface, "[method]incoming-request.scheme",
         ty::func({{"self", self}}, {ty::option(t.scheme)}), [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingRequest * r, get(state(c.instance).incoming_requests, c.args[0].rep(),
                                               "incoming-request"));
           c.results.push_back(Val::some(scheme_val(r->scheme)));
           return {};
         });
  define(iface, "[method]incoming-request.authority",
         ty::func({{"self", self}}, {ty::option(ty::string())}), [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingRequest * r, get(state(c.instance).incoming_requests, c.args[0].rep(),
                                               "incoming-request"));
           c.results.push_back(r->authority.empty() ? Val::none()
                                                    : Val::some(Val::string(r->authority)));
           return {};
         });
  define(iface, "[method]incoming-request.headers", ty::func({{"self", self}}, {ty::own(t.fields)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingRequest * r, get(state(c.instance).incoming_requests, c.args[0].rep(),
                                               "incoming-request"));
           c.results.push_back(Val::own(add_fields(c.instance, r->headers, true)));
           return {};
         });
  define(
      iface, "[method]incoming-request.consume",
      ty::func({{"self", self}}, {ty::result(ty::own(t.incoming_body), nullptr)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(IncomingRequest * r,
                   get(state(c.instance).incoming_requests, c.args[0].rep(), "incoming-request"));
        return give_once(c, r->consumed, [&] {
          return state(c.instance).incoming_bodies.insert(IncomingBody{std::move(r->body), false});
        });
      });

  auto body_self = ty::borrow(t.incoming_body);
  define(iface, "[method]incoming-body.stream",
         ty::func({{"self", body_self}}, {ty::result(ty::own(t.input_stream), nullptr)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingBody * b,
                      get(state(c.instance).incoming_bodies, c.args[0].rep(), "incoming-body"));
           return give_once(c, b->stream_taken, [&] {
             std::unique_ptr<wasi2::InputStream> stream;
             if (b->source.feed)
               stream = std::make_unique<FeedInputStream>(b->source.feed);
             else
               stream = std::make_unique<wasi2::MemoryInputStream>(std::move(b->source.data));
             return wasi2::add_input_stream(c.instance, std::move(stream));
           });
         });
  define(
      iface, "[static]incoming-body.finish",
      ty::func({{"this", ty::own(t.incoming_body)}}, {ty::own(t.future_trailers)}),
      [](HostCall& c) -> Status {
        LEPTON_TRY(IncomingBody b,
                   take(state(c.instance).incoming_bodies, c.args[0].rep(), "incoming-body"));
        b.source.data.clear();
        c.results.push_back(Val::own(
            state(c.instance).future_trailers.insert(FutureTrailers{std::move(b.source), false})));
        return {};
      });
  auto ft_self = ty::borrow(t.future_trailers);
  define(iface, "[method]future-trailers.subscribe",
         ty::func({{"self", ft_self}}, {ty::own(t.pollable)}), [](HostCall& c) -> Status {
           LEPTON_TRY(FutureTrailers * f,
                      get(state(c.instance).future_trailers, c.args[0].rep(), "future-trailers"));
           std::unique_ptr<wasi2::Pollable> p;
           if (f->source.feed)
             p = std::make_unique<FeedPollable>(f->source.feed, true);
           else
             p = std::make_unique<wasi2::ReadyPollable>();
           c.results.push_back(Val::own(wasi2::add_pollable(c.instance, std::move(p))));
           return {};
         });
  define(iface, "[method]future-trailers.get",
         ty::func({{"self", ft_self}},
                  {ty::option(ty::result(ty::result(ty::option(ty::own(t.fields)), t.error_code),
                                         nullptr))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FutureTrailers * f,
                      get(state(c.instance).future_trailers, c.args[0].rep(), "future-trailers"));
           if (f->taken) {
             c.results.push_back(Val::some(Val::err()));
             return {};
           }
           std::shared_ptr<FieldsData> fields = f->source.trailers;
           if (const auto& feed = f->source.feed) {
             switch (feed->skip()) {
               case http::RequestBody::State::kData:
               case http::RequestBody::State::kPending:
                 c.results.push_back(Val::none());  // the body has not ended yet
                 return {};
               case http::RequestBody::State::kError:
                 f->taken = true;
                 c.results.push_back(
                     Val::some(Val::ok(Val::err(internal_error(feed->body().error())))));
                 return {};
               case http::RequestBody::State::kEnd:
                 if (auto t = feed->body().trailers(); !t.empty())
                   fields = std::make_shared<FieldsData>(FieldsData{std::move(t)});
                 break;
             }
           }
           f->taken = true;
           Val trailers =
               fields ? Val::some(Val::own(add_fields(c.instance, fields, true))) : Val::none();
           c.results.push_back(Val::some(Val::ok(Val::ok(std::move(trailers)))));
           return {};
         });
}

void register_outgoing_response(HostInterface& iface, const Types& t) {
  auto self = ty::borrow(t.outgoing_response);
  define(iface, "[constructor]outgoing-response",
         ty::func({{"headers", ty::own(t.fields)}}, {ty::own(t.outgoing_response)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle f, take(state(c.instance).fields, c.args[0].rep(), "fields"));
           OutgoingResponse r;
           r.headers = std::make_shared<FieldsData>(*f.data);  // the guest's handle is gone: own it
           r.body = std::make_shared<BodyBuffer>();
           c.results.push_back(Val::own(state(c.instance).outgoing_responses.insert(std::move(r))));
           return {};
         });
  define(iface, "[method]outgoing-response.status-code", ty::func({{"self", self}}, {ty::u16()}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingResponse * r, get(state(c.instance).outgoing_responses,
                                                c.args[0].rep(), "outgoing-response"));
           c.results.push_back(Val::u16(r->status));
           return {};
         });
  define(iface, "[method]outgoing-response.set-status-code",
         ty::func({{"self", self}, {"status-code", ty::u16()}}, {ty::result(nullptr, nullptr)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingResponse * r, get(state(c.instance).outgoing_responses,
                                                c.args[0].rep(), "outgoing-response"));
           auto status = static_cast<uint16_t>(c.args[1].as_uint());
           if (status < 100 || status > 999) {
             c.results.push_back(Val::err());
             return {};
           }
           r->status = status;
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]outgoing-response.headers",
         ty::func({{"self", self}}, {ty::own(t.fields)}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingResponse * r, get(state(c.instance).outgoing_responses,
                                                c.args[0].rep(), "outgoing-response"));
           c.results.push_back(Val::own(add_fields(c.instance, r->headers, false)));
           return {};
         });
  define(iface, "[method]outgoing-response.body",
         ty::func({{"self", self}}, {ty::result(ty::own(t.outgoing_body), nullptr)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingResponse * r, get(state(c.instance).outgoing_responses,
                                                c.args[0].rep(), "outgoing-response"));
           return give_once(c, r->body_taken, [&] {
             return state(c.instance).outgoing_bodies.insert(OutgoingBody{r->body, false});
           });
         });

  auto body_self = ty::borrow(t.outgoing_body);
  define(iface, "[method]outgoing-body.write",
         ty::func({{"self", body_self}}, {ty::result(ty::own(t.output_stream), nullptr)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingBody * b,
                      get(state(c.instance).outgoing_bodies, c.args[0].rep(), "outgoing-body"));
           return give_once(c, b->stream_taken, [&] {
             return wasi2::add_output_stream(c.instance,
                                             std::make_unique<BodyWriter>(c.instance, b->buffer));
           });
         });
  define(iface, "[static]outgoing-body.finish",
         ty::func({{"this", ty::own(t.outgoing_body)}, {"trailers", ty::option(ty::own(t.fields))}},
                  {ty::result(nullptr, t.error_code)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingBody b,
                      take(state(c.instance).outgoing_bodies, c.args[0].rep(), "outgoing-body"));
           if (c.args[1].case_index() == 1) {
             LEPTON_TRY(FieldsHandle f,
                        take(state(c.instance).fields, c.args[1].payload()->rep(), "fields"));
             b.buffer->trailers = std::make_shared<FieldsData>(*f.data);
           }
           b.buffer->finished = true;
           c.results.push_back(Val::ok());
           return {};
         });

  define(iface, "[static]response-outparam.set",
         ty::func({{"param", ty::own(t.response_outparam)},
                   {"response", ty::result(ty::own(t.outgoing_response), t.error_code)}},
                  {}),
         [](HostCall& c) -> Status {
           HttpState& s = state(c.instance);
           LEPTON_TRY(bool already, take(s.outparams, c.args[0].rep(), "response-outparam"));
           if (already || s.response) return fail("response-outparam.set called twice");
           ResponseOut out;
           const Val& response = c.args[1];
           if (response.case_index() == 1) {
             out.is_error = true;
             out.error = *response.payload();
           } else {
             LEPTON_TRY(OutgoingResponse r,
                        take(s.outgoing_responses, response.payload()->rep(), "outgoing-response"));
             out.status = r.status;
             out.headers = r.headers;
             out.body = r.body;
             out.body_taken = r.body_taken;
           }
           s.response = std::move(out);
           if (s.response->body) return maybe_stream(c.instance, s.response->body);
           return {};
         });
}

// ---- outgoing requests -----------------------------------------------------------------------

void register_outgoing_request(HostInterface& iface, const Types& t) {
  auto self = ty::borrow(t.outgoing_request);
  auto unit = ty::result(nullptr, nullptr);
  define(iface, "[constructor]outgoing-request",
         ty::func({{"headers", ty::own(t.fields)}}, {ty::own(t.outgoing_request)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(FieldsHandle f, take(state(c.instance).fields, c.args[0].rep(), "fields"));
           OutgoingRequest r;
           r.headers = std::make_shared<FieldsData>(*f.data);
           r.body = std::make_shared<BodyBuffer>();
           c.results.push_back(Val::own(state(c.instance).outgoing_requests.insert(std::move(r))));
           return {};
         });
  define(iface, "[method]outgoing-request.body",
         ty::func({{"self", self}}, {ty::result(ty::own(t.outgoing_body), nullptr)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           return give_once(c, r->body_taken, [&] {
             return state(c.instance).outgoing_bodies.insert(OutgoingBody{r->body, false});
           });
         });
  define(iface, "[method]outgoing-request.method", ty::func({{"self", self}}, {t.method}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           c.results.push_back(r->method);
           return {};
         });
  define(iface, "[method]outgoing-request.set-method",
         ty::func({{"self", self}, {"method", t.method}}, {unit}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           if (!method_text(c.args[1])) {
             c.results.push_back(Val::err());
             return {};
           }
           r->method = c.args[1];
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]outgoing-request.path-with-query",
         ty::func({{"self", self}}, {ty::option(ty::string())}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           c.results.push_back(r->path_with_query ? Val::some(Val::string(*r->path_with_query))
                                                  : Val::none());
           return {};
         });
  define(iface, "[method]outgoing-request.set-path-with-query",
         ty::func({{"self", self}, {"path-with-query", ty::option(ty::string())}}, {unit}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           if (c.args[1].case_index() == 1) {
             const std::string& p = c.args[1].payload()->as_string();
             if (!is_field_value(p) || p.find(' ') != std::string::npos) {
               c.results.push_back(Val::err());
               return {};
             }
             r->path_with_query = p;
           } else {
             r->path_with_query.reset();
           }
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]outgoing-request.scheme",
         ty::func({{"self", self}}, {ty::option(t.scheme)}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           c.results.push_back(r->scheme ? Val::some(*r->scheme) : Val::none());
           return {};
         });
  define(iface, "[method]outgoing-request.set-scheme",
         ty::func({{"self", self}, {"scheme", ty::option(t.scheme)}}, {unit}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           if (c.args[1].case_index() == 1) {
             const Val& s = *c.args[1].payload();
             if (s.case_index() == 2 && !is_token(s.payload()->as_string())) {
               c.results.push_back(Val::err());
               return {};
             }
             r->scheme = s;
           } else {
             r->scheme.reset();
           }
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]outgoing-request.authority",
         ty::func({{"self", self}}, {ty::option(ty::string())}), [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           c.results.push_back(r->authority ? Val::some(Val::string(*r->authority)) : Val::none());
           return {};
         });
  define(iface, "[method]outgoing-request.set-authority",
         ty::func({{"self", self}, {"authority", ty::option(ty::string())}}, {unit}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           if (c.args[1].case_index() == 1) {
             const std::string& a = c.args[1].payload()->as_string();
             if (!is_field_value(a) || a.find_first_of(" /?#") != std::string::npos) {
               c.results.push_back(Val::err());
               return {};
             }
             r->authority = a;
           } else {
             r->authority.reset();
           }
           c.results.push_back(Val::ok());
           return {};
         });
  define(iface, "[method]outgoing-request.headers", ty::func({{"self", self}}, {ty::own(t.fields)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(OutgoingRequest * r, get(state(c.instance).outgoing_requests, c.args[0].rep(),
                                               "outgoing-request"));
           c.results.push_back(Val::own(add_fields(c.instance, r->headers, false)));
           return {};
         });

  auto opt_self = ty::borrow(t.request_options);
  auto duration = ty::option(ty::u64());
  define(
      iface, "[constructor]request-options", ty::func({}, {ty::own(t.request_options)}),
      [](HostCall& c) -> Status {
        c.results.push_back(Val::own(state(c.instance).request_options.insert(RequestOptions{})));
        return {};
      });
  using Member = std::optional<uint64_t> RequestOptions::*;
  for (auto [name, member] :
       {std::pair<const char*, Member>{"connect-timeout", &RequestOptions::connect_timeout},
        {"first-byte-timeout", &RequestOptions::first_byte_timeout},
        {"between-bytes-timeout", &RequestOptions::between_bytes_timeout}}) {
    define(iface, fmt::format("[method]request-options.{}", name),
           ty::func({{"self", opt_self}}, {duration}), [member](HostCall& c) -> Status {
             LEPTON_TRY(RequestOptions * o,
                        get(state(c.instance).request_options, c.args[0].rep(), "request-options"));
             c.results.push_back((o->*member) ? Val::some(Val::u64(*(o->*member))) : Val::none());
             return {};
           });
    define(iface, fmt::format("[method]request-options.set-{}", name),
           ty::func({{"self", opt_self}, {"duration", duration}}, {unit}),
           [member](HostCall& c) -> Status {
             LEPTON_TRY(RequestOptions * o,
                        get(state(c.instance).request_options, c.args[0].rep(), "request-options"));
             if (c.args[1].case_index() == 1) {
               o->*member = c.args[1].payload()->as_uint();
             } else {
               (o->*member).reset();
             }
             c.results.push_back(Val::ok());
             return {};
           });
  }

  auto resp_self = ty::borrow(t.incoming_response);
  define(iface, "[method]incoming-response.status", ty::func({{"self", resp_self}}, {ty::u16()}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingResponse * r, get(state(c.instance).incoming_responses,
                                                c.args[0].rep(), "incoming-response"));
           c.results.push_back(Val::u16(r->status));
           return {};
         });
  define(iface, "[method]incoming-response.headers",
         ty::func({{"self", resp_self}}, {ty::own(t.fields)}), [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingResponse * r, get(state(c.instance).incoming_responses,
                                                c.args[0].rep(), "incoming-response"));
           c.results.push_back(Val::own(add_fields(c.instance, r->headers, true)));
           return {};
         });
  define(iface, "[method]incoming-response.consume",
         ty::func({{"self", resp_self}}, {ty::result(ty::own(t.incoming_body), nullptr)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(IncomingResponse * r, get(state(c.instance).incoming_responses,
                                                c.args[0].rep(), "incoming-response"));
           return give_once(c, r->consumed, [&] {
             return state(c.instance)
                 .incoming_bodies.insert(
                     IncomingBody{BodySource{std::move(r->body), nullptr, nullptr}, false});
           });
         });

  auto fut_self = ty::borrow(t.future_incoming_response);
  define(iface, "[method]future-incoming-response.subscribe",
         ty::func({{"self", fut_self}}, {ty::own(t.pollable)}), [](HostCall& c) -> Status {
           LEPTON_TRY(auto* p, get(state(c.instance).future_responses, c.args[0].rep(),
                                   "future-incoming-response"));
           c.results.push_back(
               Val::own(wasi2::add_pollable(c.instance, std::make_unique<PendingPollable>(*p))));
           return {};
         });
  define(iface, "[method]future-incoming-response.get",
         ty::func({{"self", fut_self}},
                  {ty::option(ty::result(ty::result(ty::own(t.incoming_response), t.error_code),
                                         nullptr))}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(auto* pp, get(state(c.instance).future_responses, c.args[0].rep(),
                                    "future-incoming-response"));
           PendingResponse& p = **pp;
           if (p.delivered) {
             c.results.push_back(Val::some(Val::err()));
             return {};
           }
           if (p.denied) {
             p.delivered = true;
             c.results.push_back(Val::some(Val::ok(Val::err(Val::variant(kHttpRequestDenied)))));
             return {};
           }
           if (!p.can_send()) {
             c.results.push_back(Val::none());
             return {};
           }
           if (!p.sent) {
             p.request.body = p.body->data;
             p.sent = true;
             p.result = p.send();
           }
           p.delivered = true;
           if (!p.result->ok()) {
             const std::string& m = p.result->error().message;
             Val code =
                 m.find(outbound::kProhibited) != std::string::npos
                     ? Val::variant(kDestinationIpProhibited)
                 : m.find("resolve") != std::string::npos
                     ? Val::variant(kDnsError, Val::record({Val::none(), Val::none()}))
                 : m.find("refused") != std::string::npos   ? Val::variant(kConnectionRefused)
                 : m.find("timed out") != std::string::npos ? Val::variant(kConnectionTimeout)
                 : m.find("certificate verify failed") != std::string::npos
                     ? Val::variant(kTlsCertificateError)
                 : m.find("TLS handshake") != std::string::npos ? Val::variant(kTlsProtocolError)
                                                                : internal_error(m);
             c.results.push_back(Val::some(Val::ok(Val::err(std::move(code)))));
             return {};
           }
           http::Response& r = **p.result;
           IncomingResponse in;
           in.status = r.status;
           in.headers = std::make_shared<FieldsData>(FieldsData{r.headers});
           in.body = std::move(r.body);
           uint32_t rep = state(c.instance).incoming_responses.insert(std::move(in));
           c.results.push_back(Val::some(Val::ok(Val::ok(Val::own(rep)))));
           return {};
         });
}

// outgoing-handler.handle: checks the destination against allowed_outbound_hosts now; a denial
// comes back through the future (get answers HTTP-request-denied), as in Spin, whose
// conformance test outbound-wasi-http-v0.2.0-no-perms expects "incoming-response#get:
// ErrorCode::HttpRequestDenied". The request goes out when the guest asks for the response.
void register_outgoing_handler(HostRegistry& registry, const Types& t) {
  HostInterface& iface = registry.add("wasi:http/outgoing-handler");
  define(iface, "handle",
         ty::func({{"request", ty::own(t.outgoing_request)},
                   {"options", ty::option(ty::own(t.request_options))}},
                  {ty::result(ty::own(t.future_incoming_response), t.error_code)}),
         [](HostCall& c) -> Status {
           HttpState& s = state(c.instance);
           LEPTON_TRY(OutgoingRequest r,
                      take(s.outgoing_requests, c.args[0].rep(), "outgoing-request"));
           std::optional<RequestOptions> options;
           if (c.args[1].case_index() == 1) {
             LEPTON_TRY(RequestOptions o,
                        take(s.request_options, c.args[1].payload()->rep(), "request-options"));
             options = o;
           }
           const HttpConfig* config = c.instance.find<HttpConfig>();
           auto deny = [&] {
             auto pending = std::make_shared<PendingResponse>();
             pending->denied = true;
             c.results.push_back(Val::ok(Val::own(s.future_responses.insert(std::move(pending)))));
             return Status{};
           };
           if (config == nullptr || config->allowed_hosts == nullptr) return deny();
           std::string scheme = r.scheme ? scheme_text(*r.scheme) : "https";
           std::string url;
           if (!r.authority || r.authority->empty()) {
             // A relative request goes to this app itself ("self"), when allowed.
             if (!config->allowed_hosts->allows_self() || config->self_origin.empty())
               return deny();
             url = config->self_origin + r.path_with_query.value_or("/");
           } else {
             url = fmt::format("{}://{}{}", scheme, *r.authority, r.path_with_query.value_or("/"));
             if (!config->allowed_hosts->allows_url(url)) return deny();
           }
           auto parsed = http::parse_url(url);
           if (!parsed) {
             c.results.push_back(Val::err(Val::variant(kHttpRequestUriInvalid)));
             return {};
           }
           auto pending = std::make_shared<PendingResponse>();
           LEPTON_TRY(pending->request.method, method_text(r.method));
           pending->request.url = *parsed;
           pending->request.component_id = std::string(config->component_id);
           pending->request.headers = r.headers->entries;
           pending->request.timeout = config->outbound_timeout;
           if (options && options->first_byte_timeout)
             pending->request.timeout =
                 std::chrono::milliseconds(*options->first_byte_timeout / 1000000 + 1);
           pending->body = r.body;
           pending->body_taken = r.body_taken;
           if (parsed->host.ends_with(kServiceChainingSuffix)) {
             if (!config->chain) return deny();
             pending->chained_component =
                 parsed->host.substr(0, parsed->host.size() - kServiceChainingSuffix.size());
             pending->chain = config->chain;
           }
           c.results.push_back(Val::ok(Val::own(s.future_responses.insert(std::move(pending)))));
           return {};
         });
}

Status maybe_stream(InstanceState& instance, const std::shared_ptr<BodyBuffer>& body) {
  const HttpConfig* config = instance.find<HttpConfig>();
  if (config == nullptr || config->writer == nullptr || body->sink) return {};
  if (body->data.size() < config->stream_threshold) return {};
  HttpState& s = state(instance);
  if (!s.response || s.response->is_error || s.response->body != body) return {};
  http::ResponseWriter* writer = config->writer;
  if (!writer->start(s.response->status, response_headers(*s.response)))
    return fail("the client closed the connection");
  body->sink = [writer](std::string_view data) { return writer->write(data); };
  std::string buffered = std::move(body->data);
  body->data.clear();
  if (!body->sink(buffered)) return fail("the client closed the connection");
  return {};
}

}  // namespace

std::vector<http::Header> response_headers(const ResponseOut& response) {
  std::vector<http::Header> out;
  if (!response.headers) return out;
  out.reserve(response.headers->entries.size());
  for (const auto& h : response.headers->entries) {
    std::string name = h.name;
    http::lowercase_ascii(name);
    out.push_back({std::move(name), h.value});
  }
  return out;
}

uint32_t new_incoming_request(InstanceState& instance, const http::Request& request,
                              std::span<const http::Header> extra_headers) {
  IncomingRequest r;
  r.method = request.method;
  r.path_with_query = request.target.empty() ? "/" : request.target;
  r.scheme = request.scheme.empty() ? "http" : request.scheme;
  r.authority = request.host;
  r.headers = std::make_shared<FieldsData>();
  r.headers->entries.reserve(request.headers.size() + extra_headers.size());
  r.headers->entries.insert(r.headers->entries.end(), request.headers.begin(),
                            request.headers.end());
  r.headers->entries.insert(r.headers->entries.end(), extra_headers.begin(), extra_headers.end());
  if (request.body_stream)
    r.body.feed = std::make_shared<BodyFeed>(request.body_stream);
  else
    r.body.data = request.body;
  if (!request.trailers.empty())
    r.body.trailers = std::make_shared<FieldsData>(FieldsData{request.trailers});
  return state(instance).incoming_requests.insert(std::move(r));
}

uint32_t new_response_outparam(InstanceState& instance) {
  return state(instance).outparams.insert(false);
}

const ResponseOut* response(InstanceState& instance) {
  auto& s = state(instance);
  return s.response ? &*s.response : nullptr;
}

std::string describe_error_code(const Val& error) {
  static const TypePtr type = error_code_type();
  const auto cases = type->cases();
  if (error.case_index() >= cases.size()) return "unknown error-code";
  std::string out = cases[error.case_index()].name;
  if (const Val* p = error.payload()) out += "(" + p->to_string() + ")";
  return out;
}

void register_http(HostRegistry& registry) {
  Types t;
  t.input_stream = registry.resource("wasi:io/streams", "input-stream");
  t.output_stream = registry.resource("wasi:io/streams", "output-stream");
  t.pollable = registry.resource("wasi:io/poll", "pollable");
  t.io_error = registry.resource("wasi:io/error", "error");
  t.bytes = ty::list(ty::u8());
  t.method = variant({{"get", nullptr},
                      {"head", nullptr},
                      {"post", nullptr},
                      {"put", nullptr},
                      {"delete", nullptr},
                      {"connect", nullptr},
                      {"options", nullptr},
                      {"trace", nullptr},
                      {"patch", nullptr},
                      {"other", ty::string()}});
  t.scheme = variant({{"HTTP", nullptr}, {"HTTPS", nullptr}, {"other", ty::string()}});
  t.error_code = error_code_type();
  t.header_error =
      variant({{"invalid-syntax", nullptr}, {"forbidden", nullptr}, {"immutable", nullptr}});
  t.field_entries = ty::list(ty::tuple({ty::string(), t.bytes}));

  HostInterface& iface = registry.add("wasi:http/types");
  t.fields = iface.resource("fields", drop_in(&HttpState::fields, "fields"));
  t.incoming_request = iface.resource("incoming-request",
                                      drop_in(&HttpState::incoming_requests, "incoming-request"));
  t.outgoing_request = iface.resource("outgoing-request",
                                      drop_in(&HttpState::outgoing_requests, "outgoing-request"));
  t.request_options =
      iface.resource("request-options", drop_in(&HttpState::request_options, "request-options"));
  t.response_outparam =
      iface.resource("response-outparam", drop_in(&HttpState::outparams, "response-outparam"));
  t.incoming_response = iface.resource(
      "incoming-response", drop_in(&HttpState::incoming_responses, "incoming-response"));
  t.incoming_body =
      iface.resource("incoming-body", drop_in(&HttpState::incoming_bodies, "incoming-body"));
  t.future_trailers =
      iface.resource("future-trailers", drop_in(&HttpState::future_trailers, "future-trailers"));
  t.outgoing_response = iface.resource(
      "outgoing-response", drop_in(&HttpState::outgoing_responses, "outgoing-response"));
  t.outgoing_body =
      iface.resource("outgoing-body", drop_in(&HttpState::outgoing_bodies, "outgoing-body"));
  t.future_incoming_response =
      iface.resource("future-incoming-response",
                     drop_in(&HttpState::future_responses, "future-incoming-response"));

  define(iface, "http-error-code",
         ty::func({{"err", ty::borrow(t.io_error)}}, {ty::option(t.error_code)}),
         [](HostCall& c) -> Status {
           LEPTON_TRY(wasi2::IoError * e, wasi2::io_error(c.instance, c.args[0].rep()));
           if (e->domain == "wasi:http/types" && e->code) {
             c.results.push_back(Val::some(*e->code));
           } else {
             c.results.push_back(Val::none());
           }
           return {};
         });
  register_fields(iface, t);
  register_incoming(iface, t);
  register_outgoing_response(iface, t);
  register_outgoing_request(iface, t);
  register_outgoing_handler(registry, t);
}

}  // namespace lepton::wasi_http
