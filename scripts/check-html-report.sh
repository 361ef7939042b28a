#!/usr/bin/env bash
# Renders the lab's HTML report in headless Chromium and writes a screenshot, so a person can look at it.
# Usage: scripts/check-html-report.sh [OUT_DIR]   (needs Debian's chromium; traffic stays on loopback)
set -euo pipefail
out="${1:-target/html-check}"
mkdir -p "$out"
cargo run --release -q -- lab --scenario cross-domain-srv --html "$out/lab.html" > "$out/lab.txt"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --window-size=1000,2400 \
  --screenshot="$out/lab.png" "file://$(realpath "$out/lab.html")" 2>/dev/null
echo "report: $out/lab.html  screenshot: $out/lab.png"
