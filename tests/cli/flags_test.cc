#include "cli/flags.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace lepton::cli {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, UnitsAndCombinations) {
  EXPECT_EQ(*parse_duration("--t", "500ms"), milliseconds(500));
  EXPECT_EQ(*parse_duration("--t", "5s"), milliseconds(5000));
  EXPECT_EQ(*parse_duration("--t", "2"), milliseconds(2000));
  EXPECT_EQ(*parse_duration("--t", "1m30s"), milliseconds(90000));
  EXPECT_EQ(*parse_duration("--t", "1h"), milliseconds(3600000));
  EXPECT_EQ(*parse_duration("--t", "1.5s"), milliseconds(1500));
}

TEST(ParseDuration, ErrorsNameFlagAndValue) {
  for (const char* bad : {"", "soon", "5x", "ms", "-1s", "0s"}) {
    auto r = parse_duration("--request-timeout", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--request-timeout"), std::string::npos);
  }
}

TEST(ParseBytes, Units) {
  EXPECT_EQ(*parse_bytes("--m", "1048576"), 1048576u);
  EXPECT_EQ(*parse_bytes("--m", "64MiB"), 64u << 20);
  EXPECT_EQ(*parse_bytes("--m", "4GiB"), 4ull << 30);
  EXPECT_EQ(*parse_bytes("--m", "100MB"), 100'000'000u);
  EXPECT_FALSE(parse_bytes("--m", "lots").ok());
  EXPECT_FALSE(parse_bytes("--m", "5PB").ok());
  EXPECT_FALSE(parse_bytes("--m", "99999999999999999999GiB").ok());
}

TEST(ParseEnv, KeyValue) {
  auto kv = parse_env("A=b=c");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "A");
  EXPECT_EQ(kv->second, "b=c");
  EXPECT_FALSE(parse_env("novalue").ok());
  EXPECT_FALSE(parse_env("=x").ok());
}

TEST(ParseVariable, AllForms) {
  auto dir = std::filesystem::temp_directory_path() / ("lepton-flags-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "v.txt") << "from file";
  std::ofstream(dir / "v.json") << R"({"a": "1", "b": 2})";
  std::ofstream(dir / "v.toml") << "c = \"3\"\nd = true\n";
  std::ofstream(dir / "bad.toml") << "c = \n";
  std::map<std::string, std::string> vars;
  ASSERT_TRUE(parse_variable("k=v", vars).ok());
  ASSERT_TRUE(parse_variable("f=@" + (dir / "v.txt").string(), vars).ok());
  ASSERT_TRUE(parse_variable("@" + (dir / "v.json").string(), vars).ok());
  ASSERT_TRUE(parse_variable("@" + (dir / "v.toml").string(), vars).ok());
  EXPECT_EQ(vars["k"], "v");
  EXPECT_EQ(vars["f"], "from file");
  EXPECT_EQ(vars["a"], "1");
  EXPECT_EQ(vars["b"], "2");
  EXPECT_EQ(vars["c"], "3");
  EXPECT_EQ(vars["d"], "true");
  auto bad = parse_variable("@" + (dir / "bad.toml").string(), vars);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("bad.toml:1"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(parse_variable("@" + (dir / "missing.json").string(), vars).ok());
  EXPECT_FALSE(parse_variable("@" + (dir / "v.txt").string(), vars).ok());
  EXPECT_FALSE(parse_variable("novalue", vars).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lepton::cli
