//! AFL target: see `motornet_fuzz::run_config_json`.
fn main() {
    motornet_fuzz::init();
    afl::fuzz!(|data: &[u8]| motornet_fuzz::run_config_json(data));
}
