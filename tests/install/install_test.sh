#!/usr/bin/env bash
# The installed tree works on its own: `cmake --install` into a temporary prefix, then that
# lepton lists its built-in templates and renders http-c with the SDK files from
# PREFIX/share/lepton/sdk (the source tree's templates are hidden by LEPTON_BUILTIN_TEMPLATES
# being unset and the install dir being found first).
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
prefix=$(mktemp -d "${TMPDIR:-/tmp}/lepton-install.XXXXXX")
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
lepton=$prefix/bin/lepton
[[ -x $lepton ]] || { echo "FAIL: $lepton not installed"; exit 1; }
# Mark the installed copy of one template, to see which copy lepton reads.
sed -i 's/^description = .*/description = "installed-copy-marker"/' \
  "$prefix/share/lepton/templates/http-empty/metadata/spin-template.toml"
list=$(env -u LEPTON_BUILTIN_TEMPLATES LEPTON_TEMPLATES_DIR="$prefix/user" "$lepton" templates list --json)
for t in http-c http-js http-py http-ts redis-c redirect static-fileserver http-empty; do
  grep -q "\"$t\"" <<<"$list" || { echo "FAIL: installed lepton does not list $t: $list"; exit 1; }
done
grep -q "installed-copy-marker" <<<"$list" ||
  { echo "FAIL: built-in templates not read from $prefix/share/lepton/templates: $list"; exit 1; }
cd "$prefix"
env -u LEPTON_BUILTIN_TEMPLATES LEPTON_TEMPLATES_DIR="$prefix/user" "$lepton" new -t http-c app --accept-defaults >/dev/null
for f in "$source"/sdk/c/http/*; do
  cmp -s "$f" "app/lepton-sdk/$(basename "$f")" ||
    { echo "FAIL: app/lepton-sdk/$(basename "$f") differs from $f"; exit 1; }
done
echo "installed lepton: templates and SDK found under $prefix/share/lepton"
