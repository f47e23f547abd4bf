//! AFL target: see `motornet_fuzz::scenario`.
fn main() {
    motornet_fuzz::init();
    afl::fuzz!(|data: &[u8]| motornet_fuzz::scenario(data));
}
