#!/usr/bin/env bash
# Builds the Debian package of lyncdns into target/debian/: the release binary, then from it the man pages (one
# per command), the bash/zsh/fish completions and the default /etc/lyncdns/deployment.toml (the embedded
# example under a header), then `cargo deb`. Needs cargo-deb (`cargo install cargo-deb --locked --version 3.8.0`).
# Prints the path of the .deb as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-deb >/dev/null 2>&1 || {
  echo "cargo-deb is missing: cargo install cargo-deb --locked --version 3.8.0" >&2
  exit 1
}
cargo build --locked --release -p lyncdns
bin=target/release/lyncdns
assets=target/release/deb-assets
rm -rf "$assets"
mkdir -p "$assets"
"$bin" generate man "$assets/man" >/dev/null
gzip -9n "$assets"/man/*.1
"$bin" generate completions "$assets/completions" >/dev/null
cat debian/deployment.header.toml examples/lyncdude.toml > "$assets/deployment.toml"
# The default file must be one the service can serve.
"$bin" serve --log warn --check "$assets/deployment.toml" >/dev/null
cargo deb --locked -p lyncdns --no-build --strip
ls -t target/debian/lyncdns_*.deb | head -n 1
