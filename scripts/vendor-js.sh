#!/usr/bin/env bash
# Fetch the JavaScript the HTML report embeds from the npm registry, pinned and checked.
#
# The report (intelsim report) inlines these minified files so that it opens from disk
# with no network. Only the files listed here are committed, never node_modules.
# To update: change a version, run this script, update the sha256 sums it prints into
# this file, sim/report/html/vendor/NOTICE.md and docs, and run the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=sim/report/html/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version  file-in-package  sha256
files=(
  "uplot@1.6.32 dist/uPlot.iife.min.js 19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f"
  "uplot@1.6.32 dist/uPlot.min.css df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04"
  "uplot@1.6.32 LICENSE -"
)
for entry in "${files[@]}"; do
  read -r spec file sum <<<"$entry"
  pkg=${spec%@*}
  if [ ! -d "$work/$spec" ]; then
    (cd "$work" && npm pack --silent "$spec" >/dev/null)
    mkdir -p "$work/$spec" && tar xzf "$work/$pkg"-*.tgz -C "$work/$spec" && rm "$work/$pkg"-*.tgz
  fi
  src="$work/$spec/package/$file"
  name=$(basename "$file")
  [ "$name" = LICENSE ] && name="LICENSE.$pkg"
  if [ "$sum" != - ]; then
    got=$(sha256sum "$src" | cut -d' ' -f1)
    [ "$got" = "$sum" ] || { echo "sha256 of $spec $file is $got, expected $sum" >&2; exit 1; }
  fi
  cp "$src" "$dest/$name"
  echo "$spec $file -> $dest/$name"
done
