//! The source table stays in step with `docs/sources.md` and with every citation in the workspace.
//!
//! `docs/sources.md` must list exactly the keys of [`ALL`], each with the same URL. Every source key cited in a
//! `*.rs` file under `crates/` or in any file under `examples/` must be defined. A citation is a key inside square
//! brackets (one key, or several separated by commas), inside round brackets written the same way (as some comments
//! do), or a string literal holding only a key. Only std is used to walk the tree.

use lyncdns_lync::sources::{ALL, cited as cited_keys, get};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// Files under `dir`, recursively, skipping any `target` directory; `keep` filters by path.
fn walk(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        let path = entry.path();
        let file_type = entry.file_type().expect("file type");
        if file_type.is_dir() {
            if entry.file_name() != "target" {
                walk(&path, keep, out);
            }
        } else if file_type.is_file() && keep(&path) {
            out.push(path);
        }
    }
}

#[test]
fn extractor_finds_each_citation_form() {
    let bogus = format!("S{}", 9000 + 99);
    let text = format!(
        "/// see [S12], [S1, S7] and ([S2]) [S12] 3.1.5.2 (S21, S22)\nsources: vec![\"S8\", \"S37b\"], [{bogus}]\n\
         [S1 footnote 2] [Sx] \"S\" \"Sam\" [S12, later] [s3] a[i] (x, y)"
    );
    assert_eq!(
        cited_keys(&text),
        [
            "S12",
            "S1",
            "S7",
            "S2",
            "S12",
            "S21",
            "S22",
            "S8",
            "S37b",
            bogus.as_str()
        ]
    );
    assert!(get(&bogus).is_none());
}

#[test]
fn docs_list_exactly_the_keys_with_the_same_urls() {
    let path = repo_path("docs/sources.md");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));

    // Each source is a `### KEY` heading followed by a `- URL: <…>` line.
    let mut documented: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(key) = line.strip_prefix("### ") {
            let key = key.trim().to_string();
            assert!(
                documented.insert(key.clone(), None).is_none(),
                "{key} is listed twice in docs/sources.md"
            );
            current = Some(key);
        } else if let Some(url) = line.strip_prefix("- URL: ") {
            let key = current
                .as_ref()
                .expect("a URL line before the first key heading");
            let url = url
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string();
            let slot = documented.get_mut(key).expect("the current key");
            assert!(slot.is_none(), "{key} has two URL lines in docs/sources.md");
            *slot = Some(url);
        }
    }

    let in_code: BTreeSet<&str> = ALL.iter().map(|s| s.key).collect();
    let in_docs: BTreeSet<&str> = documented.keys().map(String::as_str).collect();
    let missing: Vec<&str> = in_code.difference(&in_docs).copied().collect();
    let extra: Vec<&str> = in_docs.difference(&in_code).copied().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/sources.md lacks {missing:?} and lists {extra:?}, which crates/lync/src/sources.rs does not define"
    );
    for s in ALL {
        assert_eq!(
            documented[s.key].as_deref(),
            Some(s.url),
            "{}: the URL in docs/sources.md differs from the code",
            s.key
        );
    }
}

#[test]
fn every_cited_key_is_defined() {
    let mut files = Vec::new();
    walk(
        &repo_path("crates"),
        &|p| p.extension().is_some_and(|e| e == "rs"),
        &mut files,
    );
    let rs_files = files.len();
    walk(&repo_path("examples"), &|_| true, &mut files);
    assert!(
        rs_files > 10 && files.len() > rs_files,
        "the walk found too few files: {files:?}"
    );

    let mut cited = 0;
    let mut undefined = Vec::new();
    for file in &files {
        // Example files are text; anything that is not UTF-8 cannot hold a citation we check.
        let Ok(text) = fs::read_to_string(file) else {
            continue;
        };
        for key in cited_keys(&text) {
            cited += 1;
            if get(key).is_none() {
                let shown = file.strip_prefix(repo_path("")).unwrap_or(file);
                undefined.push(format!("{}: {key}", shown.display()));
            }
        }
    }
    assert!(
        cited > 100,
        "only {cited} citations found; is the extractor broken?"
    );
    assert!(
        undefined.is_empty(),
        "source keys cited but not defined in crates/lync/src/sources.rs:\n{}",
        undefined.join("\n")
    );
}
