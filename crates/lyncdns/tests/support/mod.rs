//! Helpers shared by the integration tests of the `lyncdns` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every example deployment file.
pub fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Runs the `lyncdns` binary with `args`.
pub fn lyncdns(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lyncdns"))
        .args(args)
        .output()
        .expect("run lyncdns")
}

/// The path of an interop tool, or `None` (with a visible message) when it is missing. When
/// `LYNCDNS_INTEROP=require` (as `.ci/run` sets it) a missing tool fails the test instead.
pub fn interop_tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        if std::env::var("LYNCDNS_INTEROP").as_deref() == Ok("require") {
            panic!(
                "interop tool `{name}` is missing (Debian package {package}) and LYNCDNS_INTEROP=require"
            );
        }
        // Written straight to the process's stderr, past the test harness's capture, so that the skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED interop test: `{name}` not found (install Debian package {package})"
        );
    }
    found
}
