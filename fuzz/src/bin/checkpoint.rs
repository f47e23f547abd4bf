//! AFL target: see `motornet_fuzz::checkpoint`.
fn main() {
    motornet_fuzz::init();
    afl::fuzz!(|data: &[u8]| motornet_fuzz::checkpoint(data));
}
