# Shared by the training-speed scripts of benches/compare (sourced, from the repository root).

# median FILE: the median of the numbers in FILE, one per line (the mean of the middle two for
# an even count).
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# build_and_tmp: builds the `motornet` program (release), sets `bin` to it and `tmp` to a fresh
# temporary folder that is removed when the script exits.
build_and_tmp() {
    cargo build --release -p motornet
    bin="$root/target/release/motornet"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
}
