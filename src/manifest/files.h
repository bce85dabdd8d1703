// Internal: expands a component's `files` / `exclude_files` into app::FileMount entries the way
// Spin's loader copies them:
//  - "pattern/*.txt" (glob, relative to the app dir) → each matching file at "/<app-relative>";
//  - "file.txt" (existing file) → "/file.txt"; "dir" (existing directory) → every file below it
//    at "/dir/<relative>";
//  - { source = "dir", destination = "/x" } → every file below dir at "/x/<relative>";
//    { source = "a.txt", destination = "/b.txt" } → that one file at "/b.txt";
//  - exclude_files globs are matched against app-relative paths of files found through globs and
//    directories ('*' also crosses '/'), as Spin does; explicitly named files are never excluded.
// Everything must stay inside the app directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "app/app.h"
#include "common/result.h"

namespace lepton::manifest::detail {

struct FileSpec {
  bool placement = false;
  std::string pattern;      // !placement
  std::string source;       // placement
  std::string destination;  // placement
};

// Checks the syntax of the entries and exclusions (no disk access). Errors name the entry.
Status check_file_specs(const std::vector<FileSpec>& specs,
                        const std::vector<std::string>& exclude_files);

// `app_dir` must be absolute. Warnings (e.g. a bare "*") are appended to `warnings`.
Result<std::vector<app::FileMount>> expand_files(const std::filesystem::path& app_dir,
                                                 const std::vector<FileSpec>& specs,
                                                 const std::vector<std::string>& exclude_files,
                                                 std::vector<std::string>* warnings);

}  // namespace lepton::manifest::detail
