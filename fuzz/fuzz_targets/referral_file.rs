#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    beacon_fuzz::referral_file(data);
});
