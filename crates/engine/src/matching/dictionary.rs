//! The Chinese–English dictionary of the bridge, loaded once per process.

use std::path::Path;

/// The dictionary of `data_dir`, read once per process (about a second) and shared by every answer.
pub fn shared_dictionary(
    data_dir: &Path,
) -> std::result::Result<std::sync::Arc<bridge::Dictionary>, String> {
    use std::sync::{Arc, Mutex, OnceLock};
    type Loaded = std::collections::HashMap<std::path::PathBuf, Arc<bridge::Dictionary>>;
    static LOADED: OnceLock<Mutex<Loaded>> = OnceLock::new();
    let path = bridge::default_path(data_dir);
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(d) = loaded.get(&path) {
        return Ok(d.clone());
    }
    let d = Arc::new(bridge::Dictionary::load(&path).map_err(|e| e.to_string())?);
    loaded.insert(path, d.clone());
    Ok(d)
}
