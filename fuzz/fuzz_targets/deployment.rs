//! Fuzz target `deployment`: see `lyncdns_fuzz::deployment_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::deployment_one(data));
