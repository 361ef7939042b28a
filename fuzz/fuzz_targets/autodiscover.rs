//! Fuzz target `autodiscover`: see `lyncdns_fuzz::autodiscover_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::autodiscover_one(data));
