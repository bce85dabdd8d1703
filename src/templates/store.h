// Where templates live: the built-in set shipped with lepton (the repo's templates/ folder,
// installed as <prefix>/share/lepton/templates) and the user's installed templates
// ($LEPTON_TEMPLATES_DIR, else $XDG_DATA_HOME/lepton/templates, else
// ~/.local/share/lepton/templates). An installed template overrides a built-in one of the same id.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "templates/template.h"

namespace lepton::templates {

struct StoredTemplate {
  TemplateInfo info;
  bool builtin = false;
  std::string installed_from;  // the --dir/--tar it came from, if recorded
};

struct InstallReport {
  std::vector<std::string> installed;
  std::vector<std::pair<std::string, std::string>> skipped;  // id or dir, reason
};

class Store {
 public:
  // The default locations (environment variables above; built-ins from $LEPTON_BUILTIN_TEMPLATES,
  // else next to the binary, else the source tree lepton was built from).
  static Store from_environment();
  Store(std::filesystem::path user_dir, std::optional<std::filesystem::path> builtin_dir)
      : user_dir_(std::move(user_dir)), builtin_dir_(std::move(builtin_dir)) {}

  const std::filesystem::path& user_dir() const { return user_dir_; }
  const std::optional<std::filesystem::path>& builtin_dir() const { return builtin_dir_; }
  // lepton's SDK directory, whose parts templates copy into new components (metadata/lepton.toml):
  // $LEPTON_SDK_DIR, else `sdk` beside the built-in templates directory (the repo's sdk/, or
  // <prefix>/share/lepton/sdk), if it exists.
  std::optional<std::filesystem::path> sdk_dir() const;

  // All templates, sorted by id. Broken ones are reported in `problems` (when given) and left out.
  std::vector<StoredTemplate> list(std::vector<std::string>* problems = nullptr) const;
  Result<StoredTemplate> get(const std::string& id) const;

  // `dir` holds templates/<name>/ (Spin's layout for a repo of templates), or is one template.
  Result<InstallReport> install_dir(const std::filesystem::path& dir, bool upgrade) const;
  // A .tar/.tar.gz of such a directory (a GitHub release tarball's top folder is skipped).
  Result<InstallReport> install_tar(const std::filesystem::path& tar, bool upgrade) const;
  Status uninstall(const std::string& id) const;

 private:
  Result<InstallReport> install_from(const std::filesystem::path& root, const std::string& origin,
                                     bool upgrade) const;

  std::filesystem::path user_dir_;
  std::optional<std::filesystem::path> builtin_dir_;
};

}  // namespace lepton::templates
