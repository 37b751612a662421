//! The encoder against the reference vectors in `../shared/encoder/e5_reference.jsonl` (33 texts, made by
//! the reference C engine), on every kernel this CPU runs.
//!
//! Needs the weights (`scripts/fetch-model`, or `SHUANGLIAN_MODEL=path`). Without them these tests say
//! so and pass, unless `SHUANGLIAN_REQUIRE_MODEL=1` (set by `.ci/run`, which fetches the weights itself):
//! then a missing model fails loudly.

use std::path::PathBuf;
use std::sync::OnceLock;

use encoder::{cosine, Encoder, EncoderError, Kernel, Kind, Options, DIM};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn model_path() -> PathBuf {
    match std::env::var_os("SHUANGLIAN_MODEL") {
        Some(p) => PathBuf::from(p),
        None => encoder::default_model_path(&root().join("shuanglian-data")),
    }
}

fn required() -> bool {
    std::env::var("SHUANGLIAN_REQUIRE_MODEL").is_ok_and(|v| v == "1")
}

/// The model path when the weights are present; `None` (with a note) when they may be absent.
fn weights() -> Option<PathBuf> {
    let p = model_path();
    if p.exists() {
        return Some(p);
    }
    assert!(
        !required(),
        "SHUANGLIAN_REQUIRE_MODEL=1 but no weights at {}: run scripts/fetch-model",
        p.display()
    );
    eprintln!(
        "skipped: no weights at {} (scripts/fetch-model)",
        p.display()
    );
    None
}

struct Row {
    kind: Kind,
    text: String,
    tokens: usize,
    embedding: Vec<f32>,
}

fn reference() -> Option<Vec<Row>> {
    let p = root().join("../shared/encoder/e5_reference.jsonl");
    let Ok(text) = std::fs::read_to_string(&p) else {
        assert!(!required(), "reference vectors missing at {}", p.display());
        eprintln!("skipped: no reference vectors at {}", p.display());
        return None;
    };
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                Row {
                    kind: if v["kind"] == "query" {
                        Kind::Query
                    } else {
                        Kind::Passage
                    },
                    text: v["text"].as_str().unwrap().to_string(),
                    tokens: v["tokens"].as_u64().unwrap() as usize,
                    embedding: v["embedding"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap() as f32)
                        .collect(),
                }
            })
            .collect(),
    )
}

fn load(kernel: Option<Kernel>) -> Encoder {
    Encoder::load(
        &model_path(),
        &Options {
            kernel,
            ..Default::default()
        },
    )
    .unwrap()
}

/// The default encoder, loaded once for the tests that do not force a kernel.
fn shared() -> &'static Encoder {
    static E: OnceLock<Encoder> = OnceLock::new();
    E.get_or_init(|| load(None))
}

#[test]
fn token_counts_equal_the_reference() {
    let (Some(_), Some(rows)) = (weights(), reference()) else {
        return;
    };
    assert_eq!(rows.len(), 33);
    let e = shared();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            e.token_count(&r.text, r.kind),
            r.tokens,
            "row {i}: {:?}",
            r.text
        );
    }
}

#[test]
fn every_kernel_reproduces_the_reference_vectors() {
    let (Some(_), Some(rows)) = (weights(), reference()) else {
        return;
    };
    for &kernel in Kernel::available() {
        let e = load(Some(kernel));
        assert_eq!(e.kernel(), kernel);
        let mut min = f32::MAX;
        for kind in [Kind::Query, Kind::Passage] {
            let idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].kind == kind).collect();
            let texts: Vec<&str> = idx.iter().map(|&i| rows[i].text.as_str()).collect();
            let got = e.embed(&texts, kind);
            for (&i, v) in idx.iter().zip(&got) {
                let c = cosine(v, &rows[i].embedding);
                min = min.min(c);
                assert!(
                    c >= 0.995,
                    "{}: row {i} cosine {c:.5} ({:?})",
                    kernel.name(),
                    rows[i].text
                );
            }
        }
        eprintln!("{}: all 33 rows ≥ 0.995 (lowest {min:.6})", kernel.name());
    }
}

#[test]
fn a_batch_gives_the_same_vectors_as_single_calls() {
    let Some(_) = weights() else { return };
    let e = shared();
    let texts = ["锂电池正极材料的制备方法", "SiC MOSFET packaging", "a"];
    let batch = e.embed(&texts, Kind::Passage);
    for (t, b) in texts.iter().zip(&batch) {
        let single = e.embed(&[t], Kind::Passage);
        assert!(cosine(&single[0], b) > 0.99999);
    }
}

#[test]
fn awkward_input_gets_an_answer() {
    let Some(_) = weights() else { return };
    let e = shared();
    let long = "重庆汽车产业链 battery ".repeat(6000); // ~100k characters: many windows
    let texts = [
        "",
        "   \n\t ",
        "\u{1}\u{7f}控制\u{8}字符",
        long.as_str(),
        "\0after nul",
    ];
    let out = e.embed(&texts, Kind::Query);
    assert_eq!(out.len(), texts.len());
    for v in &out {
        assert_eq!(v.len(), DIM);
        let n: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-3 && v.iter().all(|x| x.is_finite()));
    }
    // A NUL ends the text, as in the reference engine: same as the empty text.
    assert!(cosine(&out[4], &out[0]) > 0.99999);
}

#[test]
fn bad_model_files_get_clear_errors() {
    let dir = tempfile_dir();
    let opts = Options {
        verify_checksum: false,
        ..Default::default()
    };
    let err = |p: &std::path::Path, o: &Options| Encoder::load(p, o).err().unwrap();

    let missing = dir.join("nope.bin");
    assert!(matches!(err(&missing, &opts), EncoderError::Missing { .. }));

    let wrong = dir.join("wrong.bin");
    std::fs::write(&wrong, b"GGUF and more").unwrap();
    let e = err(&wrong, &opts);
    assert!(matches!(e, EncoderError::WrongMagic { .. }), "{e}");
    assert!(e.to_string().contains("fetch-model"));

    let short = dir.join("short.bin");
    std::fs::write(&short, b"E5S1\x01\x00\x00\x00\x80\x01").unwrap();
    assert!(matches!(err(&short, &opts), EncoderError::Truncated { .. }));

    let checked = Options::default();
    let e = err(&short, &checked);
    assert!(matches!(e, EncoderError::Checksum { .. }), "{e}");

    if let Some(real) = weights() {
        // The real file cut short: the tensor directory points past the end.
        let bytes = std::fs::read(real).unwrap();
        let cut = dir.join("cut.bin");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = err(&cut, &opts);
        assert!(matches!(e, EncoderError::Truncated { .. }), "{e}");
        assert!(matches!(err(&cut, &checked), EncoderError::Checksum { .. }));
    }
    std::fs::remove_dir_all(dir).ok();
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("encoder-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
