//! Writing a set of files so that an error never leaves a half-written set behind: everything is written into a
//! staging directory beside the target first, and only a complete set is moved into place.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Writes `files` (paths relative to `dir`) into `dir`, all or nothing.
pub fn write_all(dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    for (rel, _) in files {
        let p = Path::new(rel);
        if p.is_absolute()
            || p.components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            bail!("refusing to write outside {}: {rel}", dir.display());
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{base}.lyncdns-staging-{}", std::process::id()));
    let result = stage(&staging, files).and_then(|()| publish(&staging, dir, files));
    // The staging directory is gone after a whole-directory rename; otherwise clean it up.
    let _ = fs::remove_dir_all(&staging);
    result
}

fn stage(staging: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    if staging.exists() {
        fs::remove_dir_all(staging)
            .with_context(|| format!("removing stale {}", staging.display()))?;
    }
    for (rel, text) in files {
        let path = staging.join(rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn publish(staging: &Path, dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    if !dir.exists() {
        return fs::rename(staging, dir)
            .with_context(|| format!("moving the files into {}", dir.display()));
    }
    for (rel, _) in files {
        let to = dir.join(rel);
        if let Some(p) = to.parent() {
            fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
        }
        fs::rename(staging.join(rel), &to)
            .with_context(|| format!("moving {rel} into {}", dir.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_new_directory_and_refuses_escapes() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("new");
        write_all(&out, &[("a/b.zone".into(), "x".into())]).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/b.zone")).unwrap(), "x");
        assert!(write_all(&out, &[("../evil".into(), "x".into())]).is_err());
        assert!(!tmp.path().join("evil").exists());
    }

    #[test]
    fn an_error_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        // A file and a directory of the same name cannot both be written: staging fails before anything moves.
        let files = vec![
            ("v/z.zone".to_owned(), "1".to_owned()),
            ("v".to_owned(), "2".to_owned()),
        ];
        assert!(write_all(&out, &files).is_err());
        assert!(!out.exists());
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "no staging directory is left"
        );
    }
}
