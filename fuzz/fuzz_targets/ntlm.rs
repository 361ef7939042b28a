//! Fuzz target `ntlm`: see `lyncdns_fuzz::ntlm_one` and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lyncdns_fuzz::ntlm_one(data));
