// Copies the C API headers (with the feature-configured wasmtime/conf.h) next to the
// static library, so CMake finds both under one stable directory of the cargo target dir.
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create include dir");
    for entry in std::fs::read_dir(from).expect("read include dir") {
        let entry = entry.expect("dir entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy header");
        }
    }
}

fn main() {
    let include = std::env::var("DEP_WASMTIME_C_API_INCLUDE").expect("wasmtime-c-api include dir");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out; the profile dir holds libwasmtime.a.
    let profile_dir = out_dir.ancestors().nth(3).expect("profile dir").to_path_buf();
    copy_dir(Path::new(&include), &profile_dir.join("include"));
    println!("cargo:rerun-if-changed=build.rs");
}
