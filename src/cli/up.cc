// `lepton up`: load an app (spin.toml, a directory, or a single .wasm) and run its triggers (HTTP,
// Redis) until SIGINT/SIGTERM, then drain in-flight requests.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/main.h"
#include "http/server.h"
#include "llm/llm.h"
#include "manifest/manifest.h"
#include "outbound/client_tls.h"
#include "outbound/outbound.h"
#include "runtime_config/runtime_config.h"
#include "triggers/app_runtime.h"
#include "triggers/http_trigger.h"
#include "triggers/redis_trigger.h"
#include "variables_providers/providers.h"

namespace lepton::cli {

namespace {

namespace fs = std::filesystem;

struct UpFlags {
  std::string from;
  std::string listen = "127.0.0.1:3000";
  std::vector<std::string> env;
  std::vector<std::string> variables;
  std::string state_dir;
  std::string log_dir;
  bool quiet = false;
  std::vector<std::string> follow;
  std::string request_timeout;
  std::string max_instance_memory;
  uint32_t max_instances = 1000;
  bool disable_pooling = false;
  bool trap_missing_imports = false;
  bool disable_cache = false;
  bool find_free_port = false;
  std::string tls_cert;
  std::string tls_key;
  std::string runtime_config_file;
  std::vector<std::string> key_values;
  std::vector<std::string> sqlite_statements;
};

// A single .wasm runs as an app of one component serving every path, as `spin up -f x.wasm`.
app::App app_from_wasm(const fs::path& wasm) {
  app::App app;
  app.manifest_path = fs::absolute(wasm);
  app.dir = app.manifest_path.parent_path();
  app.name = wasm.stem().string();
  app::Component component;
  component.id = app.name;
  component.source = app.manifest_path;
  app.components.emplace(component.id, component);
  app::HttpTrigger trigger;
  trigger.route = "/...";
  trigger.component = component.id;
  app.http_triggers.push_back(trigger);
  return app;
}

Result<app::App> load_app(const std::string& from) {
  if (from.empty()) {
    auto found = manifest::find_manifest(fs::current_path());
    if (found.empty())
      return fail("no spin.toml in {} or any parent directory (use -f to name an app)",
                  fs::current_path().string());
    return manifest::load(found);
  }
  fs::path path(from);
  if (!fs::exists(path)) return fail("-f: '{}' does not exist", from);
  if (path.extension() == ".wasm") return app_from_wasm(path);
  return manifest::load(path);
}

// [outbound_networking], [outbound_http] and [llm_compute]: process-wide, set before serving.
Status apply_outbound_config(const runtime_config::RuntimeConfig& config) {
  auto blocked = outbound::BlockedNetworks::parse(config.block_networks);
  if (!blocked) return blocked.error().context(config.file.string());
  outbound::set_blocked_networks(std::move(*blocked));
  std::vector<outbound::ClientTlsRule> tls_rules;
  for (const auto& entry : config.client_tls)
    tls_rules.push_back({entry.component_ids, entry.hosts, entry.ca_use_webpki_roots,
                         entry.ca_roots_file, entry.cert_chain_file, entry.private_key_file});
  auto tls = outbound::ClientTlsPolicy::build(std::move(tls_rules));
  if (!tls) return tls.error().context(config.file.string());
  outbound::set_client_tls(std::move(*tls));
  if (config.outbound_http && config.outbound_http->max_concurrent_requests) {
    int64_t n = *config.outbound_http->max_concurrent_requests;
    if (n < 0)
      return fail("{}: [outbound_http] max_concurrent_requests must be >= 0, got {}",
                  config.file.string(), n);
    outbound::set_max_concurrent_http_requests(n);
  }
  if (config.llm_compute &&
      config.llm_compute->type == runtime_config::LlmCompute::Type::kRemoteHttp) {
    const auto& llm_config = *config.llm_compute;
    auto engine = llm::make_remote_http_engine(
        llm_config.url, llm_config.auth_token,
        llm_config.api_type == "open_ai" ? llm::ApiType::kOpenAi : llm::ApiType::kDefault);
    if (!engine) return engine.error().context(config.file.string() + ": [llm_compute] url");
    llm::set_engine(std::move(*engine));
  } else if (config.llm_compute) {
    spdlog::warn(
        "{}: [llm_compute] type 'spin' runs local models, which lepton does not have: LLM calls "
        "will fail with runtime-error (use type 'remote_http')",
        config.file.string());
  }
  return {};
}

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Stops the Redis subscriptions; a handler still running after 10 s (a guest that never
// returns, without --request-timeout) is abandoned by exiting the process.
void stop_redis(triggers::RedisTrigger& redis) {
  if (redis.stop(std::chrono::seconds(10))) return;
  spdlog::warn("a Redis handler is still running after 10 s; exiting without waiting for it");
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(kOk);
}

int run_up(const UpFlags& flags) {
  // Block the signals before any thread starts, so only sigwait below receives them.
  sigset_t signals = termination_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  runtime_config::RuntimeConfig config;
  if (!flags.runtime_config_file.empty()) {
    auto loaded = runtime_config::load(flags.runtime_config_file);
    if (!loaded) return spdlog::error("{}", loaded.error().message), kFailure;
    config = std::move(*loaded);
    // Valid but not acted on yet: say so rather than silently differ from Spin.
    auto unused = [&](bool present, std::string_view what) {
      if (present)
        spdlog::warn("{}: {} is accepted but not used by lepton yet", config.file.string(), what);
    };
    unused(config.outbound_http && config.outbound_http->connection_pooling.has_value(),
           "[outbound_http] connection_pooling");
  }

  triggers::RuntimeOptions options;
  options.engine.pooling = !flags.disable_pooling;
  options.components.trap_missing_imports = flags.trap_missing_imports;
  options.engine.cache = !flags.disable_cache;
  options.engine.max_instances = flags.max_instances;
  if (!flags.max_instance_memory.empty()) {
    auto bytes = parse_bytes("--max-instance-memory", flags.max_instance_memory);
    if (!bytes) return spdlog::error("{}", bytes.error().message), kUsage;
    options.engine.max_instance_memory = *bytes;
    options.components.limits.max_memory_bytes = *bytes;
  } else if (config.max_instance_memory) {
    options.engine.max_instance_memory = *config.max_instance_memory;
    options.components.limits.max_memory_bytes = *config.max_instance_memory;
  }
  for (const auto& kv : flags.key_values) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return spdlog::error("--key-value: expected KEY=VALUE, got '{}'", kv), kUsage;
    options.key_value_seed.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const auto& [label, store] : config.key_value_stores) {
    if (store.type == runtime_config::KeyValueStore::Type::kRedis) {
      options.key_value_stores.push_back({label, std::nullopt, store.url});
      continue;
    }
    options.key_value_stores.push_back({label, store.path});
  }
  for (const auto& [label, db] : config.sqlite_databases) {
    if (db.type == runtime_config::SqliteDatabase::Type::kLibsql) {
      spdlog::error(
          "{}: [sqlite_database.{}]: type 'libsql' is not supported by lepton (use 'spin')",
          config.file.string(), label);
      return kFailure;
    }
    options.sqlite_databases.push_back({label, db.path, db.allow_attach_file});
  }
  options.sqlite_statements = flags.sqlite_statements;
  if (!flags.request_timeout.empty()) {
    auto timeout = parse_duration("--request-timeout", flags.request_timeout);
    if (!timeout) return spdlog::error("{}", timeout.error().message), kUsage;
    options.components.limits.timeout = *timeout;
  }
  for (const auto& e : flags.env) {
    auto kv = parse_env(e);
    if (!kv) return spdlog::error("{}", kv.error().message), kUsage;
    options.components.extra_env.push_back(*kv);
  }
  for (const auto& v : flags.variables) {
    if (auto ok = parse_variable(v, options.variables); !ok)
      return spdlog::error("{}", ok.error().message), kUsage;
  }
  if (auto st = apply_outbound_config(config); !st)
    return spdlog::error("{}", st.error().message), kFailure;
  {
    auto providers = variables_providers::build(config, options.variables);
    if (!providers) return spdlog::error("{}", providers.error().message), kFailure;
    options.variable_providers = std::move(*providers);
  }
  // Flags are checked before the app is loaded, so a usage error is reported as one.
  auto loaded = load_app(flags.from);
  if (!loaded) {
    spdlog::error("{}", loaded.error().message);
    return kFailure;
  }
  app::App app = std::move(*loaded);

  // Flags override the runtime config, which overrides the defaults.
  fs::path state_dir = !flags.state_dir.empty() ? fs::path(flags.state_dir)
                       : config.state_dir       ? *config.state_dir
                                                : app.dir / ".spin";
  fs::path log_dir = !flags.log_dir.empty() ? fs::path(flags.log_dir)
                     : config.log_dir       ? *config.log_dir
                                            : state_dir / "logs";
  options.key_value_default_path = state_dir / "sqlite_key_value.db";
  options.sqlite_default_path = state_dir / "sqlite_db.db";
  options.components.log_dir = log_dir;
  options.components.echo_output = !flags.quiet;
  options.components.follow = flags.follow;

  if (!flags.quiet) std::printf("Logging component stdio to \"%s/\"\n", log_dir.c_str());
  std::fflush(stdout);

  auto runtime = triggers::AppRuntime::load(std::move(app), options);
  if (!runtime) {
    spdlog::error("{}", runtime.error().message);
    return kFailure;
  }
  auto trigger = triggers::HttpTrigger::create(**runtime);
  if (!trigger) {
    spdlog::error("{}", trigger.error().message);
    return kFailure;
  }

  // Redis triggers subscribe before HTTP is served; an app with only Redis triggers serves no
  // HTTP at all, as Spin.
  std::unique_ptr<triggers::RedisTrigger> redis;
  if (!(*runtime)->app().redis_triggers.empty()) {
    auto created = triggers::RedisTrigger::create(**runtime);
    if (!created) return spdlog::error("{}", created.error().message), kFailure;
    redis = std::move(*created);
    if (auto started = redis->start(); !started)
      return spdlog::error("{}", started.error().message), kFailure;
  }
  if (redis && (*runtime)->app().http_triggers.empty()) {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("received {}, stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
    stop_redis(*redis);
    return kOk;
  }

  http::Server::Options server_options;
  server_options.listen = flags.listen;
  server_options.find_free_port = flags.find_free_port;
  if (!flags.tls_cert.empty() || !flags.tls_key.empty()) {
    if (flags.tls_cert.empty() || flags.tls_key.empty()) {
      spdlog::error("--tls-cert and --tls-key must be given together");
      return kUsage;
    }
    server_options.tls = http::Server::TlsFiles{flags.tls_cert, flags.tls_key};
  }
  const triggers::HttpTrigger& handler = **trigger;
  server_options.stream_body = [&handler](const http::Request& head) {
    return handler.streams_request_body(head);
  };
  auto server = http::Server::start(
      server_options, [&handler](http::Request& r, Scheduler& s, http::Server::Respond respond) {
        handler.handle_async(r, s, std::move(respond));
      });
  if (!server) {
    spdlog::error("{}", server.error().message);
    return kFailure;
  }
  std::string base_url = fmt::format("{}://{}", (*server)->scheme(), (*server)->bound_address());
  std::printf("\nServing %s\n%s", base_url.c_str(),
              handler.router().available_routes(base_url, (*runtime)->app().components).c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  spdlog::info("received {}, finishing in-flight requests",
               signal == SIGINT ? "SIGINT" : "SIGTERM");
  if (redis) stop_redis(*redis);
  (*server)->shutdown(std::chrono::seconds(10));
  return kOk;
}

}  // namespace

Run add_up_command(CLI::App& app) {
  auto flags = std::make_shared<UpFlags>();
  CLI::App* up = app.add_subcommand("up", "Start the app's triggers and serve it");
  up->add_option("-f,--from,--file", flags->from,
                 "The app to run: a spin.toml, a directory containing one, or a .wasm file "
                 "(default: spin.toml here or in a parent directory)");
  up->add_option("--listen", flags->listen, "Address to serve on (host:port)")
      ->envname("SPIN_HTTP_LISTEN_ADDR")
      ->capture_default_str();
  up->add_option("-e,--env", flags->env, "Environment variable for every component (KEY=VALUE)");
  up->add_option("--variable", flags->variables,
                 "Application variable: key=value, key=@file, @file.json or @file.toml");
  up->add_option("--state-dir", flags->state_dir, "Directory for app state (default: <app>/.spin)");
  up->add_option("--log-dir", flags->log_dir,
                 "Directory for component stdout/stderr logs (default: <state-dir>/logs)");
  up->add_flag("-q,--quiet", flags->quiet, "Don't print component output to the terminal");
  up->add_option("--follow", flags->follow, "Print output only of these components");
  up->add_option("--request-timeout", flags->request_timeout,
                 "Fail requests that run longer than this (e.g. 500ms, 5s, 1m)");
  up->add_option("--max-instance-memory", flags->max_instance_memory,
                 "Memory limit per instance (bytes, or with KiB/MiB/GiB)")
      ->envname("SPIN_MAX_INSTANCE_MEMORY");
  up->add_option("--max-instances", flags->max_instances,
                 "Concurrent instances (pooling allocator slots)")
      ->envname("SPIN_WASMTIME_INSTANCE_COUNT")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  up->add_flag("--disable-pooling", flags->disable_pooling, "Don't use the pooling allocator");
  up->add_flag("--trap-missing-imports", flags->trap_missing_imports,
               "Link component imports lepton does not provide to functions that trap when "
               "called, instead of refusing to start");
  up->add_flag("--disable-cache", flags->disable_cache, "Don't use the precompiled-module cache");
  up->add_flag("--find-free-port", flags->find_free_port,
               "If the port is taken, try the following ones");
  up->add_option("--tls-cert", flags->tls_cert, "TLS certificate (PEM) to serve HTTPS")
      ->check(CLI::ExistingFile);
  up->add_option("--tls-key", flags->tls_key, "TLS private key (PEM)")->check(CLI::ExistingFile);
  up->add_option("--runtime-config-file", flags->runtime_config_file,
                 "Runtime config (TOML): state/log dirs, key-value stores, ...")
      ->check(CLI::ExistingFile);
  up->add_option("--key-value", flags->key_values,
                 "Set a key in the default key-value store at startup (KEY=VALUE, repeatable)");
  up->add_option("--sqlite", flags->sqlite_statements,
                 "SQL to run before serving (repeatable): a statement for the default database, "
                 "@file for a file of statements, @file:label for another database");
  return [flags] { return run_up(*flags); };
}

}  // namespace lepton::cli
