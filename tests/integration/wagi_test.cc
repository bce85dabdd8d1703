// End-to-end: WAGI programs (tests/guests/wagi_probe.c) under `lepton up`, including the files
// a manifest mounts and the paths it must not reach.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "lepton_process.h"

namespace lepton::testing {
namespace {

class WagiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_ = std::make_unique<TempApp>(fmt::format(R"(spin_manifest_version = 2

[application]
name = "wagi-app"

[[trigger.http]]
route = "/cgi/..."
component = "probe"
executor = {{ type = "wagi" }}

[[trigger.http]]
route = "/args/..."
component = "args"
executor = {{ type = "wagi", argv = "${{SCRIPT_NAME}} extra ${{ARGS}}" }}

[component.probe]
source = "{0}"
files = ["static/**/*", {{ source = "data", destination = "/mnt/data" }}]
exclude_files = ["static/private.txt"]
environment = {{ GREETING = "hi" }}

[component.args]
source = "{0}"
)",
                                                 guest("wagi_probe")));
    app_->write("static/index.html", "<h1>index</h1>");
    app_->write("static/sub/deep.txt", "deep file");
    app_->write("static/private.txt", "excluded");
    app_->write("data/values.csv", "a,b\n1,2\n");
    app_->write("outside.txt", "not mounted");
    std::string failure;
    server_ = LeptonServer::start({"-f", app_->manifest().string()}, &failure);
    ASSERT_TRUE(server_) << failure;
  }

  std::string body(const std::string& path, int expect_status = 200) {
    auto r = server_->get(path);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, expect_status) << path << ": " << r->body;
    return r->body;
  }

  std::unique_ptr<TempApp> app_;
  std::unique_ptr<LeptonServer> server_;
};

TEST_F(WagiTest, CgiEnvironmentAndArgv) {
  auto r = server_->request("GET", "/cgi/some/path?env", "", {{"X-Thing", "v1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->body;
  const std::string& b = r->body;
  for (const char* expected :
       {"REQUEST_METHOD=GET\n", "SCRIPT_NAME=/cgi\n", "PATH_INFO=/some/path\n",
        "QUERY_STRING=env\n", "SERVER_SOFTWARE=WAGI/1\n", "GATEWAY_INTERFACE=CGI/1.1\n",
        "X_MATCHED_ROUTE=/cgi/...\n", "X_RAW_COMPONENT_ROUTE=/cgi/...\n",
        "X_COMPONENT_ROUTE=/cgi\n", "HTTP_X_THING=v1\n", "REMOTE_ADDR=127.0.0.1\n",
        "CONTENT_LENGTH=0\n", "GREETING=hi\n", "argv[0]=/cgi/some/path\n", "argv[1]=env\n"}) {
    EXPECT_NE(b.find(expected), std::string::npos) << "missing " << expected << " in\n" << b;
  }
  EXPECT_EQ(r->header("content-type").value_or(""), "text/plain");
}

TEST_F(WagiTest, CustomArgvTemplate) {
  std::string b = body("/args/x?a&b");
  EXPECT_NE(b.find("argv[0]=/args/x\nargv[1]=extra\nargv[2]=a\nargv[3]=b\n"), std::string::npos)
      << b;
}

TEST_F(WagiTest, BodyOnStdin) {
  std::string payload(300000, 'z');
  payload += "end";
  auto r = server_->request("POST", "/cgi/?echo", payload);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, payload);
}

// A program printing 64 MiB: sent as it prints (headers first), never held whole.
TEST_F(WagiTest, LargeOutputIsStreamed) {
  size_t before = peak_rss(server_->pid());
  auto r = server_->request("GET", "/cgi/?big=64", {}, {}, std::chrono::seconds(120));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/octet-stream");
  ASSERT_EQ(r->body.size(), 64u << 20);
  for (size_t i : {size_t{0}, size_t{65536}, (size_t{64} << 20) - 1})
    ASSERT_EQ(r->body[i], static_cast<char>('a' + (i % 65536) % 26)) << "byte " << i;
  size_t after = peak_rss(server_->pid());
  EXPECT_LT(after - before, size_t{32} << 20) << "peak RSS grew from " << before << " to " << after;
}

// A program failing after its response started streaming: the client must not receive a
// complete-looking response (the connection ends without the final chunk), and the server
// keeps serving.
TEST_F(WagiTest, FailureMidStreamCutsTheResponse) {
  auto r = server_->request("GET", "/cgi/?bigfail", {}, {}, std::chrono::seconds(30));
  EXPECT_TRUE(!r.ok() || r->body.size() < (256u << 10)) << "got a complete response";
  EXPECT_TRUE(server_->wait_for_output("exited with code 3")) << server_->output();
  auto next = server_->get("/cgi/?status");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->status, 201);
}

TEST_F(WagiTest, StatusLocationAndBadOutput) {
  auto created = server_->get("/cgi/?status");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->body, "created\n");
  auto redirect = server_->get("/cgi/?redirect");
  ASSERT_TRUE(redirect.ok());
  EXPECT_EQ(redirect->status, 302);
  EXPECT_EQ(redirect->header("location").value_or(""), "/elsewhere");
  auto bad = server_->get("/cgi/?bad");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, 500);
  EXPECT_EQ(bad->body, "Exactly one of 'location' or 'content-type' must be specified");
  auto exited = server_->get("/cgi/?exit3");
  ASSERT_TRUE(exited.ok());
  EXPECT_EQ(exited->status, 500);
  EXPECT_TRUE(server_->wait_for_output("exited with code 3")) << server_->output();
  EXPECT_EQ(body("/cgi/?env").empty(), false);  // still serving
}

TEST_F(WagiTest, MountedFilesAreReadable) {
  EXPECT_EQ(body("/cgi/?file=/static/index.html"), "<h1>index</h1>");
  EXPECT_EQ(body("/cgi/?file=/static/sub/deep.txt"), "deep file");
  EXPECT_EQ(body("/cgi/?file=/mnt/data/values.csv"), "a,b\n1,2\n");
  std::string listing = body("/cgi/?ls=/static");
  EXPECT_NE(listing.find("index.html\n"), std::string::npos) << listing;
  EXPECT_NE(listing.find("sub\n"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("private.txt"), std::string::npos) << listing;
}

TEST_F(WagiTest, NothingOutsideTheMountsIsReachable) {
  for (const char* path : {"/static/private.txt", "/outside.txt", "/static/../outside.txt",
                           "/../outside.txt", "/../../../../etc/passwd", "/etc/passwd",
                           "/static/../../etc/hostname", "/mnt/data/../../spin.toml"}) {
    auto r = server_->get(std::string("/cgi/?file=") + path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 404) << path << " was readable: " << r->body;
  }
  // The component without `files` sees no file system at all.
  auto none = server_->get("/args/?file=/static/index.html");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 404) << none->body;
  EXPECT_EQ(none->body, "cannot open /static/index.html\n");
}

TEST_F(WagiTest, GracefulShutdownFinishesInFlightRequest) {
  std::optional<Result<http::Response>> slow;
  std::thread client([&] { slow = server_->get("/cgi/?sleep"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int code = server_->stop(SIGTERM);
  client.join();
  EXPECT_EQ(code, 0);
  ASSERT_TRUE(slow.has_value());
  ASSERT_TRUE(slow->ok()) << slow->error().message;
  EXPECT_EQ((*slow)->status, 200);
  EXPECT_EQ((*slow)->body, "slept\n");
}

}  // namespace
}  // namespace lepton::testing
