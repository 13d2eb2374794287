//! Embeds the hunt library (`sql/*.sql` at the workspace root) so the
//! `huntsql` binary carries its hunts wherever it is installed.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let sql_dir = manifest.join("..").join("sql");
    println!("cargo:rerun-if-changed={}", sql_dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&sql_dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut code = String::from("&[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let path = path.canonicalize().unwrap();
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("hunts.rs");
    std::fs::write(out, code).unwrap();
}
