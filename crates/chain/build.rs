//! Compiles the shipped taxonomy (`data/chains`) into the binary: the file list is generated here so a
//! new cluster file needs no code change.
use std::{env, fs, path::PathBuf};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../../data/chains");
    let clusters = root.join("clusters");
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rerun-if-changed={}", clusters.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&clusters)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    let mut out = String::from("/// The shipped cluster files: (file name, contents).\npub const CLUSTER_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            f.canonicalize().unwrap().display().to_string()
        ));
    }
    out.push_str("];\n");
    let taxonomy = root.join("taxonomy.toml");
    println!("cargo:rerun-if-changed={}", taxonomy.display());
    out.push_str(&format!(
        "/// The shipped `taxonomy.toml`.\npub const TAXONOMY_FILE: &str = include_str!({:?});\n",
        taxonomy
            .canonicalize()
            .expect("data/chains/taxonomy.toml")
            .display()
            .to_string()
    ));
    for (name, file) in [
        ("GAPS_FILE", "gaps.toml"),
        ("ASSIGNMENT_FILE", "assignment.toml"),
    ] {
        let p = root.join(file);
        println!("cargo:rerun-if-changed={}", p.display());
        out.push_str(&format!(
            "/// The shipped `{file}`.\npub const {name}: &str = include_str!({:?});\n",
            p.canonicalize()
                .unwrap_or_else(|_| panic!("data/chains/{file}"))
                .display()
                .to_string()
        ));
    }
    fs::write(
        PathBuf::from(env::var("OUT_DIR").unwrap()).join("shipped.rs"),
        out,
    )
    .unwrap();
}
