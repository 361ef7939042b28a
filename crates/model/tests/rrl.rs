//! Response rate limiting settings: on for external views at NSD's default rate, off for internal ones, a view's
//! `rrl` table overriding `[serve.rrl]`, and out-of-range values rejected with their place in the file.

use lyncdns_model::{EMBEDDED_EXAMPLE, Rrl, load};

/// The embedded example with `external` and `internal` lines added to those views, and `extra` at the end.
fn example(internal: &str, external: &str, extra: &str) -> String {
    let text = EMBEDDED_EXAMPLE
        .replace(
            "name = \"internal\"\nlocation = \"internal\"\n",
            &format!("name = \"internal\"\nlocation = \"internal\"\n{internal}\n"),
        )
        .replace(
            "name = \"external\"\nlocation = \"external\"\n",
            &format!("name = \"external\"\nlocation = \"external\"\n{external}\n"),
        );
    format!("{text}\n{extra}\n")
}

fn rrl_of(text: &str) -> Vec<(String, Option<Rrl>)> {
    let d = load(text, "test.toml").unwrap_or_else(|e| panic!("{e}"));
    d.views.into_iter().map(|v| (v.name, v.rrl)).collect()
}

#[test]
fn external_views_are_limited_at_nsds_default_and_internal_ones_are_not() {
    let nsd = Rrl {
        responses_per_second: 200,
        errors_per_second: 200,
        nxdomains_per_second: 200,
        slip: 2,
        prefix_v4: 24,
        prefix_v6: 56,
    };
    assert_eq!(
        rrl_of(EMBEDDED_EXAMPLE),
        [("internal".into(), None), ("external".into(), Some(nsd))]
    );
}

#[test]
fn a_views_rrl_table_overrides_serve_rrl() {
    let views = rrl_of(&example(
        "rrl = { enabled = true, slip = 1 }",
        "rrl = { nxdomains_per_second = 5 }",
        "[serve.rrl]\nresponses_per_second = 50\nerrors_per_second = 7\nprefix_v4 = 32\n",
    ));
    let base = Rrl {
        responses_per_second: 50,
        errors_per_second: 7,
        nxdomains_per_second: 50,
        slip: 2,
        prefix_v4: 32,
        prefix_v6: 56,
    };
    assert_eq!(views[0].1, Some(Rrl { slip: 1, ..base }));
    assert_eq!(
        views[1].1,
        Some(Rrl {
            nxdomains_per_second: 5,
            ..base
        })
    );
    let off = rrl_of(&example("", "rrl = { enabled = false }", ""));
    assert_eq!(off[1].1, None);
}

#[test]
fn out_of_range_settings_are_located() {
    let text = example(
        "",
        "rrl = { responses_per_second = 2000000 }",
        "[serve.rrl]\nslip = 11\nprefix_v6 = 129\n",
    );
    let e = load(&text, "test.toml").unwrap_err().to_string();
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        e.contains(&format!("test.toml:{}:", line("slip = 11"))),
        "{e}"
    );
    assert!(
        e.contains("`serve.rrl.slip`") && e.contains("use 10 or less"),
        "{e}"
    );
    assert!(
        e.contains(&format!("test.toml:{}:", line("prefix_v6 = 129"))),
        "{e}"
    );
    assert!(
        e.contains(&format!("test.toml:{}:", line("2000000"))),
        "{e}"
    );
    assert!(e.contains("`views[1].rrl.responses_per_second`"), "{e}");
    let unknown = load(&example("", "", "[serve.rrl]\nrate = 5\n"), "test.toml").unwrap_err();
    assert!(unknown.to_string().contains("rate"), "{unknown}");
}
