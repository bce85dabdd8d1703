#include "executors/wagi.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "engine/guest_call.h"
#include "executors/request_instance.h"
#include "executors/wagi_cgi.h"

namespace lepton::executors {

namespace {

// "1.2.3.4:5" / "[::1]:5" -> ip, port
std::pair<std::string, uint16_t> split_addr(std::string_view addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) return {std::string(addr), 0};
  std::string_view ip = addr.substr(0, colon);
  if (ip.starts_with("[") && ip.ends_with("]")) ip = ip.substr(1, ip.size() - 2);
  uint16_t port = 0;
  std::from_chars(addr.data() + colon + 1, addr.data() + addr.size(), port);
  return {std::string(ip), port};
}

// Where the header section of CGI output ends: just after the first empty line ('\r' ignored, as
// parse_output reads it), or npos while it has not ended.
size_t header_end(std::string_view out) {
  size_t line_start = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '\n') continue;
    if (out.substr(line_start, i - line_start).find_first_not_of('\r') == std::string_view::npos)
      return i + 1;
    line_start = i + 1;
  }
  return std::string_view::npos;
}

}  // namespace

// Guest stdout: buffered, and once it outgrows kStreamThreshold with a complete, valid header
// section, sent to the client as it comes (status and headers first), so a program printing a
// large body is never held whole. Small outputs stay whole (content-length, one write).
struct WagiOutput {
  static constexpr size_t kStreamThreshold = 64 * 1024;
  http::ResponseWriter* writer = nullptr;
  std::string_view component_id;
  std::string out;
  bool streaming = false;
  bool failed = false;

  void append(std::string_view data) {
    if (streaming) {
      if (!failed && !writer->write(data)) failed = true;  // the client went away
      return;
    }
    out.append(data);
    if (writer == nullptr || out.size() < kStreamThreshold) return;
    size_t end = header_end(out);
    if (end == std::string_view::npos) return;
    auto head = wagi::parse_output(std::string_view(out).substr(0, end), component_id);
    if (!head || !head->log.empty() || !head->body.empty()) return;  // answered whole at the end
    std::vector<http::Header> headers;
    for (auto& [k, v] : head->headers) headers.push_back({std::move(k), std::move(v)});
    streaming = true;
    failed =
        !writer->start(head->status, headers) || !writer->write(std::string_view(out).substr(end));
    out.clear();
  }
};

Prepared WagiExecutor::prepare(const HttpCall& call) {
  const http::Request& req = call.request;
  auto [ip, port] = split_addr(req.client_addr);
  wagi::RequestFacts facts;
  facts.method = req.method;
  facts.scheme = req.scheme;
  facts.path_and_query = req.target;
  facts.headers = req.headers;
  facts.client_ip = ip;
  facts.client_port = port;
  facts.body_length = req.body.size();

  wasi::Preview1Config config = base_wasi_config(component_);
  config.args = wagi::argv(config_.argv, req.target);
  auto cgi = wagi::cgi_environment(call.route, facts);
  config.env.insert(config.env.end(), cgi.begin(), cgi.end());
  config.stdin_data = req.body;
  auto output = std::make_shared<WagiOutput>();
  output->writer = req.response_writer;
  output->component_id = component_.id();
  config.stdout_sink = [out = output.get()](std::string_view s) { out->append(s); };

  auto instance = RequestInstance::create(component_, std::move(config),
                                          fmt::format("{}://{}", req.scheme, req.host));
  if (!instance) return {std::nullopt, internal_error(component_, instance.error())};
  std::shared_ptr<RequestInstance> ri = std::move(*instance);
  GuestJob job;
  job.store = &ri->store();
  job.run = [this, &req, ri, output] { return run(req, *ri, *output); };
  job.keep = ri;
  return {std::move(job), {}};
}

http::Response WagiExecutor::run(const http::Request& req, RequestInstance& ri,
                                 WagiOutput& output) const {
  auto entry = engine::export_func(ri.context(), ri.instance(), config_.entrypoint);
  if (!entry) return internal_error(component_, entry.error().context(component_.id()));
  auto ran = engine::call_i32(ri.context(), *entry, {}, {});
  // proc_exit(0) is how many CGI programs end: a success, not a failure.
  bool ok = ran || wasi::exit_code(ri.wasi()) == 0;
  if (output.streaming) {
    // Status and headers are out: a failure now can only cut the body short.
    if (!ok) {
      req.response_writer->abort();
      internal_error(component_, Error{ri.describe_failure(ran.error())});
    }
    return http::Response{};
  }
  if (!ok) return internal_error(component_, Error{ri.describe_failure(ran.error())});
  auto parsed = wagi::parse_output(output.out, component_.id());
  if (!parsed) return internal_error(component_, parsed.error());
  for (const auto& line : parsed->log) spdlog::warn("{}", line);
  http::Response response{parsed->status, {}, std::move(parsed->body)};
  for (auto& [k, v] : parsed->headers) response.headers.push_back({std::move(k), std::move(v)});
  return response;
}

}  // namespace lepton::executors
