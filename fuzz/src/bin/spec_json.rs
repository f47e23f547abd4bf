//! AFL target: see `motornet_fuzz::spec_json`.
fn main() {
    motornet_fuzz::init();
    afl::fuzz!(|data: &[u8]| motornet_fuzz::spec_json(data));
}
