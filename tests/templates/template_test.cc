// Template metadata (spin-template.toml) parsing and running templates into directories: a
// Spin-format template (tests/templates/data/spin-repo, modelled on Spin's redis-rust) renders
// unchanged for `new` and `add`, with snippets, conditions and outputs.
#include "templates/template.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "templates/liquid.h"
#include "templates/store.h"

namespace lepton::templates {
namespace {

namespace fs = std::filesystem;

const fs::path kData = LEPTON_TEST_DATA;
const fs::path kRedisDemo = kData / "spin-repo" / "templates" / "redis-demo";
const fs::path kRepoTemplates = kData / ".." / ".." / ".." / "templates";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "lepton-tpl-XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(dir_); }
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

std::string parse_error(const std::string& toml) {
  auto r = parse_template_manifest(toml, "tpl.toml");
  EXPECT_FALSE(r.ok()) << "parsed: " << toml;
  return r.ok() ? std::string() : r.error().message;
}

TEST(TemplateMetadata, ReadsSpinFormat) {
  auto t = load_template(kRedisDemo);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->id, "redis-demo");
  EXPECT_EQ(t->tags, (std::vector<std::string>{"redis", "demo"}));
  ASSERT_EQ(t->parameters.size(), 4u);  // in file order, not sorted
  EXPECT_EQ(t->parameters[0].id, "project-description");
  EXPECT_EQ(t->parameters[1].id, "redis-address");
  EXPECT_EQ(t->parameters[2].id, "redis-channel");
  EXPECT_FALSE(t->parameters[2].default_value.has_value());
  EXPECT_EQ(t->parameters[3].allowed_values, (std::vector<std::string>{"c", "rust"}));
  ASSERT_TRUE(t->new_application.has_value());
  ASSERT_TRUE(t->add_component.has_value());
  EXPECT_EQ(t->add_component->skip_files, std::vector<std::string>{"spin.toml"});
  EXPECT_EQ(t->add_component->snippets.size(), 3u);
  ASSERT_EQ(t->add_component->conditions.size(), 1u);
  EXPECT_EQ(t->add_component->conditions[0].manifest_entry_exists,
            (std::vector<std::string>{"application", "trigger", "redis"}));
  ASSERT_EQ(t->outputs.size(), 1u);
  EXPECT_TRUE(t->outputs[0].at_manifest);
  EXPECT_TRUE(t->matches_all_tags({"DEMO", "redis"}));
  EXPECT_FALSE(t->matches_all_tags({"http"}));
}

TEST(TemplateMetadata, StrictErrorsNameFileLineAndKey) {
  const std::string head = "manifest_version = \"1\"\nid = \"x\"\n";
  EXPECT_EQ(parse_error(head + "idd = 1\n"),
            "tpl.toml:3:1: unknown field 'idd' in the template manifest (did you mean 'id'?)");
  EXPECT_EQ(parse_error("id = \"x\"\n"),
            "tpl.toml:1:1: missing field 'manifest_version' in the template manifest");
  EXPECT_EQ(parse_error("manifest_version = \"2\"\nid = \"x\"\n"),
            "tpl.toml:1:20: unsupported manifest_version '2' (lepton reads version \"1\")");
  EXPECT_EQ(parse_error("manifest_version = \"1\"\n"),
            "tpl.toml:1:1: missing field 'id' in the template manifest");
  EXPECT_NE(
      parse_error(head +
                  "[parameters]\np = { type = \"string\", prompt = \"P\", defualt = \"\" }\n")
          .find(
              "tpl.toml:4:38: unknown field 'defualt' in parameter 'p' (did you mean 'default'?)"),
      std::string::npos);
  EXPECT_EQ(
      parse_error(head + "[parameters]\np = { type = \"int\", prompt = \"P\" }\n"),
      "tpl.toml:4:14: unrecognised type 'int' for parameter 'p' (expected \"string\" or \"bool\")");
  EXPECT_NE(parse_error(head + "[parameters]\np = { type = \"string\" }\n")
                .find("missing field 'prompt' in parameter 'p'"),
            std::string::npos);
  EXPECT_NE(
      parse_error(head +
                  "[parameters]\np = { type = \"string\", prompt = \"P\", pattern = \"([a-z\" }\n")
          .find("tpl.toml:4:48: invalid regular expression for parameter 'p'"),
      std::string::npos);
  EXPECT_EQ(parse_error(head + "[parameters]\np = { type = \"string\", prompt = \"P\", default = "
                               "\"x y\", pattern = \"^\\\\S+$\" }\n"),
            "tpl.toml:4:48: default of parameter 'p' is invalid: Input 'x y' does not match "
            "pattern '^\\S+$'");
  EXPECT_NE(parse_error(head + "custom_filters = []\n").find("custom filters are not supported"),
            std::string::npos);
  EXPECT_NE(
      parse_error(head + "[add_component.conditions.c]\ncondition = { file_exists = \"x\" }\n")
          .find("unknown field 'file_exists' in [add_component].conditions.c.condition"),
      std::string::npos);
  EXPECT_NE(parse_error(head + "[add_component]\nskip_file = []\n")
                .find("tpl.toml:4:1: unknown field 'skip_file' in [add_component]"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "[outputs]\no = { action = \"delete_dir\", path = \"x\" }\n")
                .find("unknown action 'delete_dir'"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "tags = \"http\"\n").find("tpl.toml:3:8: invalid type for 'tags'"),
            std::string::npos);
  EXPECT_NE(parse_error(head + "description = \n").find("tpl.toml:3:"), std::string::npos);
}

TEST(TemplateMetadata, MissingSnippetFileIsAnError) {
  TempDir tmp;
  spit(
      tmp.path() / "metadata" / "spin-template.toml",
      "manifest_version = \"1\"\nid = \"s\"\n[add_component.snippets]\ncomponent = \"nope.txt\"\n");
  auto t = load_template(tmp.path());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("snippet 'component' of [add_component] names"),
            std::string::npos)
      << t.error().message;
}

void render_shipped(const std::string& id, const fs::path& out);

TEST(TemplateMetadata, ShippedTemplatesLoadAndRender) {
  for (const char* id : {"http-empty", "http-c", "redis-c", "redirect", "static-fileserver"}) {
    SCOPED_TRACE(id);
    auto t = load_template(kRepoTemplates / id);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->id, id);
    render_shipped(id,
                   fs::temp_directory_path() / fmt::format("lepton-shipped-{}-{}", id, getpid()));
  }
}

// Every file under `dir`, relative, with its bytes.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[e.path().lexically_relative(dir).generic_string()] = slurp(e.path());
  return out;
}

// The C templates carry no copy of the SDK: rendering puts lepton's sdk/ parts they name in
// metadata/lepton.toml into the new component, byte for byte (not rendered as templates).
TEST(RunTemplate, CTemplatesGetTheSdkFromLeptonsSdkDirectory) {
  const fs::path sdk = (kRepoTemplates / ".." / "sdk").lexically_normal();
  for (auto [id, part] :
       std::vector<std::pair<std::string, std::string>>{{"http-c", "c/http"},
                                                        {"redis-c", "c/redis"},
                                                        {"redirect", "c/wagi"},
                                                        {"static-fileserver", "c/wagi"}}) {
    SCOPED_TRACE(id);
    auto t = load_template(kRepoTemplates / id);
    ASSERT_TRUE(t.ok()) << t.error().message;
    ASSERT_EQ(t->sdk.size(), 1u);
    EXPECT_EQ(t->sdk[0].from, part);
    EXPECT_EQ(t->sdk[0].to, "lepton-sdk");
    for (const auto& [rel, bytes] : tree(t->content_dir()))
      EXPECT_EQ(rel.find("lepton_"), std::string::npos) << rel << " is a copy of SDK code";
    TempDir tmp;
    RunOptions o = {};
    o.name = "sdk-app";
    o.output_path = tmp.path() / "app";
    o.accept_defaults = true;
    o.values = {{"redirect-from", "/from"}, {"redirect-to", "/to"}};
    std::erase_if(o.values, [&](const auto& kv) { return t->parameter(kv.first) == nullptr; });
    o.special_values["authors"] = "A";
    o.sdk_dir = sdk;
    auto done = run_template(*t, o);
    ASSERT_TRUE(done.ok()) << done.error().message;
    auto want = tree(sdk / part);
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(tree(tmp.path() / "app" / "lepton-sdk"), want);
    // Without lepton's SDK directory the template cannot be rendered, and says why.
    o.sdk_dir.reset();
    o.allow_overwrite = true;
    auto refused = run_template(*t, o);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("needs lepton's SDK ('" + part + "')"),
              std::string::npos)
        << refused.error().message;
    o.sdk_dir = tmp.path() / "no-sdk";
    refused = run_template(*t, o);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("which does not exist"), std::string::npos)
        << refused.error().message;
  }
}

TEST(TemplateMetadata, LeptonMetadataIsStrict) {
  auto ok = parse_lepton_metadata("[[sdk]]\nfrom = \"c/http\"\nto = \"sdk\"\n", "l.toml");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->sdk.size(), 1u);
  EXPECT_FALSE(ok->npm_seed);
  auto error = [](const std::string& text) {
    auto r = parse_lepton_metadata(text, "l.toml");
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(error("sdks = []\n").find("l.toml:1:1: unknown field 'sdks'"), std::string::npos);
  EXPECT_NE(error("[[sdk]]\nfrom = \"c/http\"\n").find("missing field 'to' in [[sdk]] #1"),
            std::string::npos);
  EXPECT_NE(error("[[sdk]]\nfrom = \"c\"\nto = \"x\"\ninto = \"y\"\n")
                .find("unknown field 'into' in [[sdk]] #1"),
            std::string::npos);
  EXPECT_NE(error("[[sdk]]\nfrom = \"../etc\"\nto = \"x\"\n")
                .find("l.toml:2:8: 'from' of [[sdk]] #1 must be a relative path"),
            std::string::npos);
  EXPECT_NE(error("[[sdk]]\nfrom = \"c\"\nto = \"/abs\"\n").find("'to' of [[sdk]] #1"),
            std::string::npos);
  EXPECT_NE(error("sdk = \"c\"\n").find("invalid type for 'sdk'"), std::string::npos);
}

// Every content file of a shipped template must render (a stray `{{` in C code would not), and
// spin.toml must come out as valid TOML.
void render_shipped(const std::string& id, const fs::path& out) {
  auto t = load_template(kRepoTemplates / id);
  ASSERT_TRUE(t.ok());
  RunOptions o;
  o.name = "shipped-app";
  o.output_path = out;
  o.accept_defaults = true;
  o.values = {{"redirect-from", "/from"}, {"redirect-to", "/to"}};
  std::erase_if(o.values, [&](const auto& kv) { return t->parameter(kv.first) == nullptr; });
  o.special_values["authors"] = "A";
  o.sdk_dir = kRepoTemplates / ".." / "sdk";
  auto done = run_template(*t, o);
  ASSERT_TRUE(done.ok()) << done.error().message;
  for (const auto& entry : fs::recursive_directory_iterator(t->content_dir())) {
    if (!entry.is_regular_file()) continue;
    auto parsed = Template::parse(slurp(entry.path()), entry.path().string());
    EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  }
  EXPECT_NO_THROW((void)toml::parse(slurp(out / "spin.toml")));
  fs::remove_all(out);
}

RunOptions new_options(const fs::path& out) {
  RunOptions o;
  o.name = "HelloWorld";
  o.output_path = out;
  o.special_values["authors"] = "Ada <ada@example.com>";
  return o;
}

TEST(RunTemplate, NewRendersContentStripsTmplCopiesBinary) {
  TempDir tmp;
  auto t = load_template(kRedisDemo);
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto o = new_options(tmp.path() / "app");
  o.values = {{"redis-channel", "messages"}};
  o.accept_defaults = true;
  auto done = run_template(*t, o);
  ASSERT_TRUE(done.ok()) << done.error().message;
  const fs::path app = tmp.path() / "app";
  std::string manifest = slurp(app / "spin.toml");
  EXPECT_NE(manifest.find("name = \"hello-world\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("authors = [\"Ada <ada@example.com>\"]"), std::string::npos);
  EXPECT_NE(manifest.find("address = \"redis://localhost:6379\""), std::string::npos);
  EXPECT_NE(manifest.find("source = \"target/hello_world.wasm\""), std::string::npos);
  EXPECT_NO_THROW((void)toml::parse(manifest));
  EXPECT_FALSE(fs::exists(app / "Makefile.tmpl"));
  EXPECT_EQ(slurp(app / "Makefile").substr(0, 19), "# HelloWorld (C)\nta");
  EXPECT_EQ(slurp(app / "src" / "lib.c"),
            "// {{ not a placeholder }} for HelloWorld\nint handle(void) { return 0; }\n");
  EXPECT_EQ(slurp(app / "logo.bin"), slurp(kRedisDemo / "content" / "logo.bin"));
  EXPECT_TRUE(fs::exists(app / ".gitignore"));
  EXPECT_TRUE(fs::is_directory(app / "hello_world-data"));  // [outputs] create_dir
}

TEST(RunTemplate, NewNeedsEveryParameterWhenNotInteractive) {
  TempDir tmp;
  auto t = load_template(kRedisDemo);
  ASSERT_TRUE(t.ok());
  auto o = new_options(tmp.path() / "app");
  o.accept_defaults = true;  // redis-channel has no default
  auto done = run_template(*t, o);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().message,
            "parameter 'redis-channel' (Redis channel) not provided: pass -v redis-channel=VALUE");
  EXPECT_FALSE(fs::exists(tmp.path() / "app"));  // nothing half-written

  o.accept_defaults = false;
  o.values = {{"redis-channel", "m"}};
  done = run_template(*t, o);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message.find("parameter 'project-description' (Description) not provided: "
                                      "pass -v project-description=VALUE or --accept-defaults"),
            std::string::npos);

  // A prompt callback supplies what is missing (interactive runs).
  int asked = 0;
  o.prompt = [&](const Parameter& p) -> Result<std::string> {
    ++asked;
    return p.default_value.value_or("x");
  };
  done = run_template(*t, o);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(asked, 3);
}

TEST(RunTemplate, ValidatesGivenValues) {
  TempDir tmp;
  auto t = load_template(kRedisDemo);
  ASSERT_TRUE(t.ok());
  auto o = new_options(tmp.path() / "app");
  o.accept_defaults = true;
  o.values = {{"redis-channel", "m"}, {"language", "go"}, {"colour", "red"}};
  auto done = run_template(*t, o);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().message,
            "invalid value(s) for the template:\n"
            "- template 'redis-demo' has no parameter named 'colour'\n"
            "- language: Input 'go' is not one of the allowed values (c, rust)");
}

TEST(RunTemplate, RefusesNonEmptyDirectoryUnlessAllowed) {
  TempDir tmp;
  auto t = load_template(kRedisDemo);
  ASSERT_TRUE(t.ok());
  spit(tmp.path() / "app" / "keep.txt", "mine");
  auto o = new_options(tmp.path() / "app");
  o.accept_defaults = true;
  o.values = {{"redis-channel", "m"}};
  auto done = run_template(*t, o);
  ASSERT_FALSE(done.ok());
  EXPECT_NE(done.error().message.find("already contains files (use --allow-overwrite)"),
            std::string::npos);
  o.allow_overwrite = true;
  done = run_template(*t, o);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(slurp(tmp.path() / "app" / "keep.txt"), "mine");
  EXPECT_TRUE(fs::exists(tmp.path() / "app" / "spin.toml"));
}

TEST(RunTemplate, AddAppendsSnippetsAndHonoursConditions) {
  TempDir tmp;
  auto t = load_template(kRedisDemo);
  ASSERT_TRUE(t.ok());
  const fs::path manifest = tmp.path() / "spin.toml";
  spit(manifest,
       "spin_manifest_version = 2\n\n[application]\nname = \"app\"\n\n[variables]\n"
       "existing = { default = \"1\" }\n\n[[trigger.http]]\nroute = \"/...\"\ncomponent = "
       "\"web\"\n\n"
       "[component.web]\nsource = \"web.wasm\"\n");
  RunOptions o;
  o.mode = Mode::kAddComponent;
  o.name = "first-sub";
  o.output_path = "first-sub";
  o.manifest_path = manifest;
  o.accept_defaults = true;
  o.values = {{"redis-channel", "one"}};
  o.special_values["authors"] = "Ada";
  auto done = run_template(*t, o);
  ASSERT_TRUE(done.ok()) << done.error().message;
  std::string text = slurp(manifest);
  toml::table doc;
  ASSERT_NO_THROW(doc = toml::parse(text)) << text;
  EXPECT_EQ(doc["application"]["trigger"]["redis"]["address"].value_or(std::string()),
            "redis://localhost:6379");
  EXPECT_EQ(doc["component"]["first-sub"]["source"].value_or(std::string()),
            "first-sub/target/first_sub.wasm");
  EXPECT_EQ(doc["component"]["first-sub"]["build"]["workdir"].value_or(std::string()), "first-sub");
  EXPECT_EQ(doc["variables"]["existing"]["default"].value_or(std::string()), "1");
  EXPECT_EQ(doc["variables"]["first_sub_channel"]["default"].value_or(std::string()), "one");
  EXPECT_FALSE(fs::exists(tmp.path() / "first-sub" / "spin.toml"));  // skip_files
  EXPECT_TRUE(fs::exists(tmp.path() / "first-sub" / "Makefile"));
  EXPECT_TRUE(fs::is_directory(tmp.path() / "first_sub-data"));  // at = "manifest"

  // Second add: application.trigger.redis exists now, so the condition skips the address
  // parameter (no value needed even without --accept-defaults) and the application_trigger snippet.
  o.name = "second";
  o.output_path = "second";
  o.accept_defaults = false;
  o.values = {{"redis-channel", "two"}, {"project-description", ""}, {"language", "rust"}};
  done = run_template(*t, o);
  ASSERT_TRUE(done.ok()) << done.error().message;
  text = slurp(manifest);
  ASSERT_NO_THROW(doc = toml::parse(text)) << text;
  EXPECT_EQ(doc["trigger"]["redis"].as_array()->size(), 2u);
  EXPECT_EQ(doc["variables"]["second_channel"]["default"].value_or(std::string()), "two");
  size_t first = text.find("[application.trigger.redis]");
  EXPECT_EQ(text.find("[application.trigger.redis]", first + 1), std::string::npos) << text;
  EXPECT_NE(slurp(tmp.path() / "second" / "Makefile").find("(Rust)"), std::string::npos);
}

TEST(RunTemplate, AddNeedsAnAddVariant) {
  TempDir tmp;
  auto t = load_template(kData / "spin-repo" / "templates" / "plain");
  ASSERT_TRUE(t.ok()) << t.error().message;
  spit(tmp.path() / "spin.toml", "spin_manifest_version = 2\n");
  RunOptions o;
  o.mode = Mode::kAddComponent;
  o.name = "x";
  o.output_path = "x";
  o.manifest_path = tmp.path() / "spin.toml";
  auto done = run_template(*t, o);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().message,
            "template 'plain' does not support adding a component to an application");
}

TEST(TemplateStore, InstallsFromDirListsAndUninstalls) {
  TempDir tmp;
  Store store(tmp.path() / "user", kRepoTemplates);
  auto report = store.install_dir(kData / "spin-repo", false);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->installed, (std::vector<std::string>{"plain", "redis-demo"}));
  auto again = store.install_dir(kData / "spin-repo", false);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->installed.empty());
  EXPECT_EQ(again->skipped.size(), 2u);
  auto upgraded = store.install_dir(kData / "spin-repo", true);
  ASSERT_TRUE(upgraded.ok());
  EXPECT_EQ(upgraded->installed.size(), 2u);

  std::vector<std::string> ids;
  for (const auto& s : store.list()) ids.push_back(s.info.id + (s.builtin ? "*" : ""));
  EXPECT_EQ(ids, (std::vector<std::string>{"http-c*", "http-empty*", "http-js*", "http-py*",
                                           "http-ts*", "plain", "redirect*", "redis-c*",
                                           "redis-demo", "static-fileserver*"}));
  auto got = store.get("redis-demo");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->installed_from, fs::absolute(kData / "spin-repo").lexically_normal().string());
  // The installed copy renders like the original.
  auto o = new_options(tmp.path() / "app");
  o.accept_defaults = true;
  o.values = {{"redis-channel", "m"}};
  ASSERT_TRUE(run_template(got->info, o).ok());

  EXPECT_TRUE(store.uninstall("plain").ok());
  EXPECT_FALSE(store.get("plain").ok());
  auto builtin = store.uninstall("http-c");
  ASSERT_FALSE(builtin.ok());
  EXPECT_EQ(builtin.error().message,
            "template 'http-c' is built into lepton and cannot be uninstalled");
  EXPECT_EQ(store.uninstall("nope").error().message, "no installed template 'nope'");
  auto missing = store.get("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(
      missing.error().message.find("no template 'nope' (available: http-c, http-empty, http-js, "
                                   "http-py, http-ts, redirect, redis-c, redis-demo"),
      std::string::npos);
}

// lepton's SDK directory is `sdk` beside the built-in templates, unless $LEPTON_SDK_DIR says.
TEST(TemplateStore, SdkDirIsBesideTheBuiltInTemplates) {
  unsetenv("LEPTON_SDK_DIR");
  TempDir tmp;
  const fs::path repo_sdk = kRepoTemplates / ".." / "sdk";
  EXPECT_EQ(Store(tmp.path(), kRepoTemplates).sdk_dir(), kRepoTemplates.parent_path() / "sdk");
  EXPECT_TRUE(fs::is_directory(*Store(tmp.path(), kRepoTemplates).sdk_dir()));
  fs::create_directories(tmp.path() / "share" / "lepton" / "templates");
  EXPECT_EQ(Store(tmp.path(), tmp.path() / "share" / "lepton" / "templates").sdk_dir(),
            std::nullopt);  // no sdk/ there
  fs::create_directories(tmp.path() / "share" / "lepton" / "sdk");
  EXPECT_EQ(Store(tmp.path(), tmp.path() / "share" / "lepton" / "templates").sdk_dir(),
            tmp.path() / "share" / "lepton" / "sdk");
  EXPECT_EQ(Store(tmp.path(), std::nullopt).sdk_dir(), std::nullopt);
  setenv("LEPTON_SDK_DIR", repo_sdk.c_str(), 1);
  EXPECT_EQ(Store(tmp.path(), std::nullopt).sdk_dir(), repo_sdk);
  unsetenv("LEPTON_SDK_DIR");
}

TEST(TemplateStore, InstallsFromTarball) {
  TempDir tmp;
  // A GitHub-style release tarball: one top folder holding templates/.
  fs::copy(kData / "spin-repo", tmp.path() / "repo-1.0", fs::copy_options::recursive);
  std::string cmd =
      "tar -czf " + (tmp.path() / "t.tar.gz").string() + " -C " + tmp.path().string() + " repo-1.0";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  Store store(tmp.path() / "user", std::nullopt);
  auto report = store.install_tar(tmp.path() / "t.tar.gz", false);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->installed.size(), 2u);
  EXPECT_TRUE(store.get("redis-demo").ok());
  auto bad = store.install_tar(tmp.path() / "missing.tar", false);
  ASSERT_FALSE(bad.ok());
}

}  // namespace
}  // namespace lepton::templates
