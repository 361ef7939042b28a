//! Fuzz target `zonefile`: see `lyncdns_fuzz::zonefile_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::zonefile_one(data));
