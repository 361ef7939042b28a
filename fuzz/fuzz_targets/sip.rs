//! Fuzz target `sip`: see `lyncdns_fuzz::sip_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::sip_one(data));
