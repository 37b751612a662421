//! Converts an int8 ONNX model of the registry into this engine's weights file and checks the result's
//! SHA-256. Run by `scripts/fetch-model`:
//!   cargo run --release -p shuanglian-encoder --example convert_onnx -- MODEL_ID MODEL.onnx VOCAB.txt OUT
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [id, onnx, vocab, out] = args.as_slice() else {
        eprintln!("usage: convert_onnx MODEL_ID MODEL.onnx VOCAB.txt OUT");
        return ExitCode::from(2);
    };
    match run(id, onnx, vocab, out) {
        Ok(sha) => {
            println!("converted: {out} (SHA-256 {sha})");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(3)
        }
    }
}

fn run(id: &str, onnx: &str, vocab: &str, out: &str) -> Result<String, String> {
    let spec =
        encoder::registry::by_id(id).ok_or_else(|| format!("no model {id} in the registry"))?;
    let bytes = encoder::convert::convert_checked(
        spec,
        std::path::Path::new(onnx),
        std::path::Path::new(vocab),
    )?;
    let sha = encoder::sha256_hex(&bytes);
    let tmp = format!("{out}.tmp");
    std::fs::write(&tmp, &bytes).map_err(|e| format!("{tmp}: {e}"))?;
    std::fs::rename(&tmp, out).map_err(|e| format!("{out}: {e}"))?;
    Ok(sha)
}
