//! Fuzz target `decode`: see `lyncdns_fuzz::decode_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::decode_one(data));
