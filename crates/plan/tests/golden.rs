//! Golden-file tests: every example in `examples/` rendered in every format (and its certificate names) must
//! match the file in `tests/golden/`. After an intended change, regenerate them with
//! `LYNCDNS_BLESS=1 cargo test -p lyncdns-plan --test golden` and review the diff.

use std::path::{Path, PathBuf};

use lyncdns_plan::export::{self, Format};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected at least four examples, found {files:?}"
    );
    files
}

fn check(name: &str, actual: &str, failures: &mut Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("LYNCDNS_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => {
            let line = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .map(|i| i + 1);
            failures.push(format!(
                "{name}: differs (first at line {line:?}); rerun with LYNCDNS_BLESS=1 to regenerate"
            ));
        }
        Err(_) => failures.push(format!(
            "{name}: missing; run with LYNCDNS_BLESS=1 to create it"
        )),
    }
}

#[test]
fn every_example_in_every_format_matches_its_golden_file() {
    let mut failures = Vec::new();
    for path in examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let deployment = lyncdns_model::load(&text, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let plan = lyncdns_plan::plan(&deployment);
        for format in Format::ALL {
            check(
                &format!("{stem}.{format}.txt"),
                &export::render(&plan, format).to_stdout(),
                &mut failures,
            );
        }
        check(
            &format!("{stem}.certs.txt"),
            &export::render_certs(&plan, Format::Table).to_stdout(),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_embedded_example_is_the_lyncdude_file() {
    let file = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lyncdude.toml"),
    )
    .unwrap();
    assert_eq!(file, lyncdns_model::EMBEDDED_EXAMPLE);
}
