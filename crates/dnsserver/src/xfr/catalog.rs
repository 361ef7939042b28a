//! A view's catalog zone (RFC 9432): the list of the view's zones as a zone of its own, transferred like them,
//! so that a secondary configured with the catalog alone provisions (and drops) the member zones by itself.
//!
//! Built here, when a snapshot is loaded, rather than by the planner: the members are the zones the view really
//! serves, master files included, which the planner (no I/O) never sees. The content is pure: the same name,
//! members and serial always give the same zone, and a member keeps its `<unique-N>` label across reloads (a
//! hash of its name, RFC 9432 §4.3), so a reload that adds a zone adds one PTR record and IXFR sends just that.

use std::hash::Hasher as _;

use lyncdns_dnsdata::name;
use lyncdns_dnsdata::rdata::RecordData;
use lyncdns_dnsdata::record::{Source, Zone, ZoneError};
use lyncdns_dnsdata::types::Rtype;

/// The TTL of every catalog record: consumers ignore TTLs (RFC 9432 §4), and the catalog is not meant for
/// resolvers.
const TTL: u32 = 0;

/// The catalog zone `catalog` listing `members` (wire-format apexes; the catalog itself, if among them, is
/// left out) with SOA serial `serial`: RFC 9432 §4.1 SOA and NS `invalid.`, §4.2.1 `version` TXT "2", §4.3 one
/// `<unique-N>.zones` PTR per member, in the order of the members' names.
pub fn zone<'a>(
    catalog: &str,
    members: impl IntoIterator<Item = &'a [u8]>,
    serial: u32,
) -> Result<Zone, ZoneError> {
    let apex = name::from_text(catalog).map_err(|source| ZoneError::Name {
        apex: catalog.to_owned(),
        source,
    })?;
    let mut members: Vec<&[u8]> = members.into_iter().filter(|m| **m != apex[..]).collect();
    members.sort_by_key(|m| name::to_text(m));
    members.dedup();
    let catalog = catalog.trim_end_matches('.').to_ascii_lowercase();
    let mut records: Vec<(String, RecordData)> = vec![
        (
            catalog.clone(),
            RecordData::Soa {
                mname: "invalid".into(),
                rname: "invalid".into(),
                serial,
                refresh: 3600,
                retry: 600,
                // RFC 9432 Appendix A's example: a catalog whose primary is away should not expire (its members
                // would go with it).
                expire: 2_147_483_646,
                minimum: 0,
            },
        ),
        (
            catalog.clone(),
            RecordData::Ns {
                target: "invalid".into(),
            },
        ),
        (
            format!("version.{catalog}"),
            RecordData::Other {
                rtype: Rtype::TXT,
                rdata: b"\x012".to_vec(),
            },
        ),
    ];
    let mut used: Vec<String> = Vec::with_capacity(members.len());
    for member in members {
        let id = unique_id(member, &used);
        records.push((
            format!("{id}.zones.{catalog}"),
            RecordData::Other {
                rtype: Rtype::PTR,
                rdata: member.to_vec(),
            },
        ));
        used.push(id);
    }
    Zone::from_records(
        &catalog,
        Source::Plan,
        records
            .iter()
            .map(|(owner, data)| (owner.as_str(), TTL, data)),
    )
}

/// The `<unique-N>` label of `member` (wire format): 16 hex digits of SipHash-2-4 with a zero key over its
/// lowercase wire name, the same in every version and reload. RFC 9432 §4.3 forbids one label for two members;
/// should two names ever share a hash, the later one (by name) hashes its name again with a counter.
pub fn unique_id(member: &[u8], used: &[String]) -> String {
    (0u32..)
        .map(|round| {
            let mut h = siphasher::sip::SipHasher24::new_with_keys(0, 0);
            h.write(member);
            if round > 0 {
                h.write(&round.to_be_bytes());
            }
            format!("{:016x}", h.finish())
        })
        .find(|id| !used.contains(id))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(n: &str) -> Vec<u8> {
        name::from_text(n).unwrap()
    }

    /// The zone's records as `owner TYPE data` lines.
    fn lines(z: &Zone) -> Vec<String> {
        z.records
            .iter()
            .map(|r| {
                let owner = name::to_text(r.owner);
                let data = match r.data().unwrap() {
                    RecordData::Other { rtype, rdata } if rtype == Rtype::PTR => {
                        name::to_text(&rdata)
                    }
                    RecordData::Other { rdata, .. } => format!("{rdata:?}"),
                    other => format!("{other:?}"),
                };
                format!("{owner} {} {data}", r.rtype)
            })
            .collect()
    }

    #[test]
    fn a_catalog_has_soa_ns_invalid_version_2_and_a_ptr_per_member_rfc9432_4() {
        let members = [wire("lyncdude.net"), wire("anotherdomain.com")];
        let z = zone(
            "Catalog.External.invalid.",
            members.iter().map(Vec::as_slice),
            7,
        )
        .unwrap();
        assert_eq!(z.apex, wire("catalog.external.invalid"));
        let lines = lines(&z);
        assert_eq!(lines.len(), 5, "{lines:?}");
        assert!(
            lines[0].starts_with("catalog.external.invalid SOA Soa { mname: \"invalid\", rname: \"invalid\", serial: 7,"),
            "{lines:?}"
        );
        assert_eq!(
            lines[1],
            "catalog.external.invalid NS Ns { target: \"invalid\" }"
        );
        assert_eq!(lines[2], "version.catalog.external.invalid TXT [1, 50]");
        // Members in name order, each under its own single-label id below `zones`.
        let id = |m: &str| unique_id(&wire(m), &[]);
        assert_eq!(
            lines[3],
            format!(
                "{}.zones.catalog.external.invalid PTR anotherdomain.com",
                id("anotherdomain.com")
            )
        );
        assert_eq!(
            lines[4],
            format!(
                "{}.zones.catalog.external.invalid PTR lyncdude.net",
                id("lyncdude.net")
            )
        );
        assert_eq!(id("lyncdude.net").len(), 16);
        assert_ne!(id("lyncdude.net"), id("anotherdomain.com"));
        assert!(z.records.iter().all(|r| r.ttl == 0));
    }

    #[test]
    fn a_members_id_is_stable_whatever_the_other_members_rfc9432_4_3() {
        let one = zone("cat.invalid", [wire("a.example").as_slice()], 1).unwrap();
        let two = zone(
            "cat.invalid",
            [wire("b.example").as_slice(), wire("A.example").as_slice()],
            2,
        )
        .unwrap();
        let ptr_of = |z: &Zone, m: &str| {
            lines(z)
                .into_iter()
                .find(|l| l.ends_with(&format!("PTR {m}")))
                .unwrap()
        };
        assert_eq!(ptr_of(&one, "a.example"), ptr_of(&two, "a.example"));
        // The catalog never lists itself, and a member listed twice appears once.
        let z = zone(
            "cat.invalid",
            [
                wire("cat.invalid").as_slice(),
                wire("x.example").as_slice(),
                wire("x.example").as_slice(),
            ],
            1,
        )
        .unwrap();
        assert_eq!(z.records.len(), 4);
    }

    #[test]
    fn two_members_never_share_an_id() {
        let first = unique_id(&wire("a.example"), &[]);
        let second = unique_id(&wire("a.example"), std::slice::from_ref(&first));
        assert_ne!(first, second);
        assert_eq!(second.len(), 16);
    }
}
