//! Issue 16 point 7: the lab never showed an Online-only domain. Its names lead to Microsoft 365 (Teams since
//! Skype for Business Online was retired in 2021, [S45]), which the lab cannot reach from loopback, so the matrix
//! shows each client's row for it as not exercised instead of leaving the domain out silently.

mod support;

use support::{lyncdns, root};

#[test]
fn an_online_only_domain_is_shown_as_not_exercised_in_the_lab_matrix_issue_16() {
    let hybrid = root().join("examples/hybrid.toml");
    let out = lyncdns(&["lab", "--deployment", hybrid.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("lab@litwareonline.com"))
        .collect();
    assert_eq!(rows.len(), 5, "one row per client: {text}");
    for row in rows {
        assert_eq!(
            row.matches("not exercised: leads to Microsoft 365").count(),
            2,
            "inside and outside: {row}"
        );
    }
    // The lab's own count is of the discoveries it ran.
    assert!(text.contains("20 of 20 discoveries sign in"), "{text}");
}
