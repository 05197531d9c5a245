fn main() {
    // sqlx::migrate! embeds the migrations at build time; a new or edited one must rebuild.
    println!("cargo:rerun-if-changed=migrations");
}
