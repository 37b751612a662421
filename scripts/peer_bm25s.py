"""Peer for the lexical benchmark: bm25s 0.2.14 (PyStemmer for English, jieba for Chinese).

Usage: python peer_bm25s.py BEIR_DIR SPLIT  → one JSON line with ndcg@10, recall@100, mrr@10, queries,
index_s, query_s. Metrics use the same definitions as `shuanglian eval` (gain 2^rel - 1, log2 discount).
"""
import json
import math
import sys
import time

import bm25s
import jieba
import Stemmer


def load(beir_dir, split):
    corpus = [json.loads(l) for l in open(f"{beir_dir}/corpus.jsonl", encoding="utf-8") if l.strip()]
    qrels = {}
    with open(f"{beir_dir}/qrels/{split}.tsv", encoding="utf-8") as f:
        for i, line in enumerate(f):
            cols = line.rstrip("\n").split("\t")
            if i == 0 and cols[0] == "query-id":
                continue
            if len(cols) == 3:
                qrels.setdefault(cols[0], {})[cols[1]] = int(cols[2])
    queries = []
    for l in open(f"{beir_dir}/queries.jsonl", encoding="utf-8"):
        if l.strip():
            q = json.loads(l)
            if str(q["_id"]) in qrels:
                queries.append((str(q["_id"]), q["text"]))
    return corpus, queries, qrels


def is_chinese(texts):
    sample = "".join(texts[:200])
    han = sum(1 for c in sample if "\u4e00" <= c <= "\u9fff")
    letters = sum(1 for c in sample if c.isalpha())
    return letters > 0 and han * 5 >= letters


def tokenize(texts, chinese, stemmer):
    if chinese:
        # bm25s does not segment Chinese: segment with jieba (search mode), then let bm25s split on spaces.
        texts = [" ".join(jieba.cut_for_search(t)) for t in texts]
        return bm25s.tokenize(texts, stopwords=None, stemmer=None, show_progress=False)
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)


def ndcg10(ranked, judged):
    dcg = sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if judged.get(d, 0) > 0)
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:10]
    idcg = sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def main():
    beir_dir, split = sys.argv[1], sys.argv[2]
    corpus, queries, qrels = load(beir_dir, split)
    texts = [(d.get("title") or "") + " " + (d.get("text") or "") for d in corpus]
    ids = [str(d["_id"]) for d in corpus]
    chinese = is_chinese(texts)
    jieba.initialize()
    stemmer = Stemmer.Stemmer("english")

    t0 = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(tokenize(texts, chinese, stemmer), show_progress=False)
    index_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    q_tokens = tokenize([q for _, q in queries], chinese, stemmer)
    k = min(100, len(corpus))
    docs, _ = retriever.retrieve(q_tokens, k=k, show_progress=False, n_threads=1)
    query_s = time.perf_counter() - t0

    n = max(len(queries), 1)
    nd = rc = mrr = 0.0
    for (qid, _), row in zip(queries, docs):
        ranked = [ids[i] for i in row]
        judged = qrels[qid]
        nd += ndcg10(ranked, judged)
        rel = [d for d, r in judged.items() if r > 0]
        rc += (sum(1 for d in ranked[:100] if judged.get(d, 0) > 0) / len(rel)) if rel else 0.0
        for i, d in enumerate(ranked[:10]):
            if judged.get(d, 0) > 0:
                mrr += 1.0 / (i + 1)
                break
    print(json.dumps({"ndcg@10": nd / n, "recall@100": rc / n, "mrr@10": mrr / n, "queries": len(queries),
                      "index_s": index_s, "query_s": query_s, "chinese": chinese}))


if __name__ == "__main__":
    main()
