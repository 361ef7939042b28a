//! `lyncdns generate` (hidden): the man pages and shell completions of the Debian package, generated from the
//! same clap definitions the binary parses with, so they cannot drift from `--help`.
//!
//! A hidden subcommand rather than an `xtask` crate: the clap types are private to this binary, and the package
//! build (`contrib/build-deb.sh`) already has the release binary in hand, so no second build and no shared CLI
//! crate are needed.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use clap_complete::Shell;

/// Arguments of `lyncdns generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    what: What,
}

/// What to generate.
#[derive(Debug, Subcommand)]
enum What {
    /// One man page (section 1) per command: lyncdns.1, lyncdns-serve.1, …
    Man {
        /// Directory to write them into (created if missing).
        dir: PathBuf,
    },
    /// Completions for bash (lyncdns.bash), zsh (_lyncdns) and fish (lyncdns.fish).
    Completions {
        /// Directory to write them into (created if missing).
        dir: PathBuf,
    },
}

/// Runs `lyncdns generate` for the command line `cli`.
pub fn run(args: &GenerateArgs, cli: clap::Command) -> anyhow::Result<()> {
    let (What::Man { dir } | What::Completions { dir }) = &args.what;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let written = match &args.what {
        What::Man { .. } => man(cli, dir),
        What::Completions { .. } => completions(cli, dir),
    }
    .with_context(|| format!("writing into {}", dir.display()))?;
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

/// The man pages of `cli` and each visible subcommand, into `dir`.
fn man(cli: clap::Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    clap_mangen::generate_to(cli, dir)?;
    Ok(files(dir)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "1"))
        .collect())
}

/// Bash, zsh and fish completions of `cli`, into `dir`.
fn completions(mut cli: clap::Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    [Shell::Bash, Shell::Zsh, Shell::Fish]
        .into_iter()
        .map(|shell| clap_complete::generate_to(shell, &mut cli, "lyncdns", dir))
        .collect()
}

/// The files in `dir`, sorted.
fn files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    out.sort();
    Ok(out)
}
