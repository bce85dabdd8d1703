// Core modules carrying a `component-type` custom section (wit-bindgen's output before
// `wasm-tools component new`), adapted to components at load: the C guests' core builds
// (<name>.core.wasm) answer like their componentized builds, and a bad section is a load error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "component/binary.h"
#include "component/instance.h"
#include "component/linker.h"
#include "engine/engine.h"
#include "engine/module.h"
#include "engine/store.h"
#include "support/test_engine.h"
#include "wasi2/wasi2.h"
#include "wasi_http/wasi_http.h"

namespace lepton {
namespace {

using Bytes = std::vector<uint8_t>;

std::filesystem::path guest(const std::string& file) {
  return std::filesystem::path(LEPTON_GUEST_DIR) / "components" / file;
}

class CoreModule : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto e = lepton::testing::make_test_engine();
    ASSERT_TRUE(e.ok()) << e.error().message;
    engine_ = std::move(*e).release();
    registry_ = new component::HostRegistry();
    wasi2::register_wasi(*registry_);
    wasi_http::register_http(*registry_);
  }

  static Result<std::shared_ptr<const component::ComponentTemplate>> load_bytes(
      std::span<const uint8_t> bytes) {
    if (component::binary::is_component(bytes))
      return component::ComponentTemplate::load(*engine_, *registry_, bytes, "test");
    return component::ComponentTemplate::load_core_module(*engine_, *registry_, bytes, "test");
  }

  static Result<std::shared_ptr<const component::ComponentTemplate>> load(const std::string& file) {
    LEPTON_TRY(auto bytes, engine::read_file(guest(file)));
    return load_bytes(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }

  struct Served {
    int status = 0;
    std::string body;
    std::string out;  // what the guest wrote to stdout
    std::string error;
  };

  static Served serve(const std::shared_ptr<const component::ComponentTemplate>& t) {
    Served s;
    engine::Store store(*engine_, {});
    auto configure = [&](component::InstanceState& state) {
      auto wasi = std::make_unique<wasi2::Config>();
      wasi->env = {{"GREETING", "hi there"}};
      wasi->stdout_sink = [&s](std::string_view v) { s.out.append(v); };
      state.emplace(std::move(wasi));
    };
    auto inst = component::ComponentInstance::instantiate(t, store, configure);
    if (!inst) return s.error = inst.error().message, s;
    const auto* handle = t->find_export("wasi:http/incoming-handler", "handle");
    if (handle == nullptr) return s.error = "no handle export", s;
    auto& state = (*inst)->state();
    http::Request request;
    request.method = "GET";
    request.target = request.path = "/";
    request.host = "localhost:3000";
    request.scheme = "http";
    uint32_t req = wasi_http::new_incoming_request(state, request);
    uint32_t out = wasi_http::new_response_outparam(state);
    auto r =
        (*inst)->call(*handle, std::vector{component::Val::own(req), component::Val::own(out)});
    if (!r) return s.error = r.error().message, s;
    if (const auto* resp = wasi_http::response(state)) {
      s.status = resp->status;
      if (resp->body) s.body = resp->body->data;
    }
    return s;
  }

  static engine::Engine* engine_;
  static component::HostRegistry* registry_;
};

engine::Engine* CoreModule::engine_ = nullptr;
component::HostRegistry* CoreModule::registry_ = nullptr;

void append_leb(Bytes& b, size_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    b.push_back(byte | (v != 0 ? 0x80 : 0));
  } while (v != 0);
}

// A core module made of one custom section named `name` holding `payload`.
Bytes module_with_custom(std::string_view name, const Bytes& payload) {
  Bytes m = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  Bytes body;
  append_leb(body, name.size());
  body.insert(body.end(), name.begin(), name.end());
  body.insert(body.end(), payload.begin(), payload.end());
  m.push_back(0x00);
  append_leb(m, body.size());
  m.insert(m.end(), body.begin(), body.end());
  return m;
}

const Bytes kComponentPreamble = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

TEST_F(CoreModule, CorruptComponentTypeSectionIsALoadError) {
  struct Case {
    const char* what;
    std::string name;
    Bytes payload;
    const char* expect;
  };
  Bytes bad_opcode = kComponentPreamble;
  bad_opcode.insert(bad_opcode.end(), {0x07, 0x02, 0x01, 0x60});  // type section: opcode 0x60
  Bytes truncated = kComponentPreamble;
  truncated.insert(truncated.end(), {0x07, 0x40, 0x01});  // section size past the end
  Bytes not_a_component = {0x01, 0x02, 0x03};
  Bytes no_world = kComponentPreamble;  // valid, but defines nothing
  for (const Case& c : {Case{"bad opcode", "component-type", bad_opcode, "0x60"},
                        Case{"truncated", "component-type:hello", truncated, "exceeds"},
                        Case{"garbage", "component-type", not_a_component, "at byte"},
                        Case{"no world", "component-type", no_world, "no world"}}) {
    SCOPED_TRACE(c.what);
    Bytes m = module_with_custom(c.name, c.payload);
    EXPECT_TRUE(component::binary::has_component_type(m));
    auto t = load_bytes(m);
    ASSERT_FALSE(t.ok());
    const std::string& msg = t.error().message;
    EXPECT_NE(msg.find("custom section '" + c.name + "' at byte 0x8"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << msg;
  }
}

TEST_F(CoreModule, PlainCoreModulesAreNotAdapted) {
  Bytes m = module_with_custom("producers", {0x00});
  EXPECT_FALSE(component::binary::has_component_type(m));
  EXPECT_FALSE(component::binary::has_component_type(kComponentPreamble));
}

// Every C guest's core build links and instantiates (its _initialize runs).
TEST_F(CoreModule, AllCoreBuildsLink) {
  for (std::string name :
       {"hello", "echo", "outbound", "stream", "stdio", "resources", "all-types"}) {
    SCOPED_TRACE(name);
    if (!std::filesystem::exists(guest(name + ".core.wasm"))) continue;
    auto t = load(name + ".core.wasm");
    ASSERT_TRUE(t.ok()) << t.error().message;
    auto component = load(name + ".wasm");
    ASSERT_TRUE(component.ok()) << component.error().message;
    // The same exports, with the same types, as `wasm-tools component new` makes.
    ASSERT_EQ((*t)->exports().size(), (*component)->exports().size());
    for (const auto& f : (*component)->exports()) {
      const auto* g = (*t)->find_export(f.interface, f.name);
      ASSERT_NE(g, nullptr) << f.interface << "#" << f.name;
      EXPECT_EQ(g->signature, f.signature) << f.interface << "#" << f.name;
      EXPECT_EQ(g->options.post_return >= 0, f.options.post_return >= 0) << f.name;
    }
    engine::Store store(*engine_, {});
    auto inst = component::ComponentInstance::instantiate(*t, store);
    EXPECT_TRUE(inst.ok()) << inst.error().message;
  }
}

TEST_F(CoreModule, HelloAnswersLikeItsComponent) {
  if (!std::filesystem::exists(guest("hello.core.wasm"))) GTEST_SKIP() << "hello not built";
  auto core = load("hello.core.wasm");
  ASSERT_TRUE(core.ok()) << core.error().message;
  auto comp = load("hello.wasm");
  ASSERT_TRUE(comp.ok()) << comp.error().message;
  Served a = serve(*core), b = serve(*comp);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "Hello from a C component");
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.body, b.body);
}

// wasi_snapshot_preview1 of the core module is lepton's preview 1 over the instance's Config.
TEST_F(CoreModule, StdioAndEnvironmentReachTheCoreModule) {
  if (!std::filesystem::exists(guest("stdio.core.wasm"))) GTEST_SKIP() << "stdio not built";
  auto core = load("stdio.core.wasm");
  ASSERT_TRUE(core.ok()) << core.error().message;
  EXPECT_FALSE((*core)->core_imports().empty());
  Served a = serve(*core);
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "GREETING=hi there");
  EXPECT_EQ(a.out, "stdio guest out\n");
  auto comp = load("stdio.wasm");
  ASSERT_TRUE(comp.ok()) << comp.error().message;
  Served b = serve(*comp);
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(b.out, a.out);
}

// A guest-defined resource of an exported interface: [resource-new]/[resource-rep]/
// [resource-drop] of the core module and its [dtor], used from the guest and from the host.
TEST_F(CoreModule, GuestResourcesWork) {
  if (!std::filesystem::exists(guest("resources.core.wasm"))) GTEST_SKIP() << "not built";
  auto t = load("resources.core.wasm");
  ASSERT_TRUE(t.ok()) << t.error().message;
  engine::Store store(*engine_, {});
  auto inst = component::ComponentInstance::instantiate(*t, store);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  auto call = [&](std::string_view name, std::vector<component::Val> args) {
    const auto* f = (*t)->find_export("lepton:guests/counters", name);
    EXPECT_NE(f, nullptr) << name;
    if (f == nullptr) return std::vector<component::Val>{};
    auto r = (*inst)->call(*f, args);
    EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
    return r.ok() ? *r : std::vector<component::Val>{};
  };
  auto churn = call("churn", {component::Val::u32(5)});
  ASSERT_EQ(churn.size(), 1u);
  EXPECT_EQ(churn[0].as_uint(), 0u + 1 + 2 + 3 + 4);
  auto c = call("[constructor]counter", {component::Val::u64(40)});
  ASSERT_EQ(c.size(), 1u);
  auto added =
      call("[method]counter.add", {component::Val::borrow(c[0].as_uint()), component::Val::u64(2)});
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].as_uint(), 42u);
  EXPECT_EQ(call("live", {})[0].as_uint(), 1u);
  auto v = call("[static]counter.into-value", {component::Val::own(c[0].as_uint())});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].as_uint(), 42u);
  EXPECT_EQ(call("live", {})[0].as_uint(), 0u);  // the guest's drop ran its destructor
}

}  // namespace
}  // namespace lepton
