// Compiles the C shim (variadic logging entry points and exported data objects) that is linked
// into the library together with the Rust code.
fn main() {
    println!("cargo:rerun-if-changed=csrc/shim.c");
    println!("cargo:rerun-if-changed=include/librtmp");
    cc::Build::new()
        .file("csrc/shim.c")
        .include("include")
        .pic(true)
        .warnings(true)
        .extra_warnings(true)
        .flag_if_supported("-Werror")
        .flag("-std=gnu99")
        .compile("rtmpshim");
}
