//! Fuzz target `answer`: see `lyncdns_fuzz::answer_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::answer_one(data));
