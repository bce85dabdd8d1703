// WASI 0.2 host interfaces for components (all of wasi:io, wasi:clocks, wasi:random, wasi:cli, a
// read-only wasi:filesystem and wasi:sockets gated by allowed_outbound_hosts; wasi:http lives
// elsewhere), implemented over the component-model host API (component/host.h) with lepton's
// per-request configuration.
//
// Per request the executor installs a Config in the component's InstanceState
// (instance.emplace<wasi2::Config>(...)); without one, the interfaces behave as for an empty
// configuration (no args, no env, no files, empty stdin, output discarded, no deadline).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "component/host.h"
#include "wasi/preview1.h"
#include "wasi2/io.h"

namespace lepton::app {
class AllowedHosts;
}

namespace lepton::wasi2 {

struct Config {
  std::vector<std::string> args;                         // get-arguments; [0] is the program
  std::vector<std::pair<std::string, std::string>> env;  // get-environment
  std::shared_ptr<const wasi::FileTree> files;           // null or empty: no preopens
  std::string stdin_data;                                // get-stdin reads it
  std::function<void(std::string_view)> stdout_sink;     // null: discarded
  std::function<void(std::string_view)> stderr_sink;     // null: discarded
  // Blocking calls (poll, block, blocking-read, clock pollables, ...) never wait past this
  // instant: they trap when it passes (the request's timeout).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // wasi:sockets: the component's allowed_outbound_hosts (must outlive the request); null or no
  // entries: all network access denied.
  const app::AllowedHosts* allowed_hosts = nullptr;
};

// Registers every interface above (wasi:io first, then clocks, random, cli, filesystem, sockets,
// and preview 1 for adapted core modules).
void register_wasi(component::HostRegistry& registry);

// wasi_snapshot_preview1 for core modules adapted at load (component::CoreImportProvider):
// lepton's preview 1 with a context built per instance from the instance's Config.
void register_preview1(component::HostRegistry& registry);

// Set when the guest called wasi:cli/exit (exit or exit-with-code) or, as an adapted core module,
// proc_exit; the call then trapped with an Error whose message contains kExitMessage and "exit
// with code N" (wasi::kExitTrapMessage for proc_exit). Executors check this first
// and treat such a trap as a normal end of the guest.
std::optional<int> exit_code(const component::InstanceState& instance);
inline constexpr std::string_view kExitMessage = "wasi:cli/exit";

// Parts of register_wasi, for tests and for hosts that want a subset (each needs register_io).
void register_clocks(component::HostRegistry& registry);
void register_random(component::HostRegistry& registry);
void register_cli(component::HostRegistry& registry);
void register_filesystem(component::HostRegistry& registry);
// wasi:sockets (network, instance-network, ip-name-lookup, tcp, tcp-create-socket, udp,
// udp-create-socket), permitted by Config::allowed_hosts (src/wasi2/sockets.cc).
void register_sockets(component::HostRegistry& registry);

}  // namespace lepton::wasi2
