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

}  // namespace

http::Response WagiExecutor::handle(const HttpCall& call) {
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
  std::string out;
  config.stdout_sink = [&out](std::string_view s) { out.append(s); };

  auto instance = RequestInstance::create(component_, std::move(config),
                                          fmt::format("{}://{}", req.scheme, req.host));
  if (!instance) return internal_error(component_, instance.error());
  RequestInstance& ri = **instance;
  auto entry = engine::export_func(ri.context(), ri.instance(), config_.entrypoint);
  if (!entry) return internal_error(component_, entry.error().context(component_.id()));
  auto ran = engine::call_i32(ri.context(), *entry, {}, {});
  if (!ran) {
    // proc_exit(0) is how many CGI programs end: a success, not a failure.
    auto code = wasi::exit_code(ri.wasi());
    if (!(code && *code == 0)) return internal_error(component_, Error{ri.describe_failure(ran.error())});
  }
  auto parsed = wagi::parse_output(out, component_.id());
  if (!parsed) return internal_error(component_, parsed.error());
  for (const auto& line : parsed->log) spdlog::warn("{}", line);
  http::Response response{parsed->status, {}, std::move(parsed->body)};
  for (auto& [k, v] : parsed->headers) response.headers.push_back({std::move(k), std::move(v)});
  return response;
}

}  // namespace lepton::executors
