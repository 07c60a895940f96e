"""Run a weight-int8 ONNX model with int8 matrix products (dynamic quantization).

Why: the MiniLM package stores each weight matrix as ``int8`` followed by
``Cast`` and ``Mul(scale)``. onnxruntime folds those into float32 constants
when it loads the model, so every call multiplies by 42 MB of float32 weights:
at the one or few short queries a search embeds, reading them costs more
than the arithmetic. Rewriting each ``Cast -> Mul -> MatMul`` into
onnxruntime's ``DynamicQuantizeMatMul`` (com.microsoft; activations quantized
per call to uint8, the same weights and per-column scales) keeps 10 MB of
8-bit weights and uses the CPU's integer dot products. Measured on this
project's 2-core machine (``docs/benchmarks.md``): 3.1 ms -> 0.9 ms per
single query; embeddings agree with the float path at cosine >= 0.98.

Why the weights are stored as ``uint8`` with zero point 128, not as the
package's ``int8``: on x86 CPUs without VNNI (AVX2 only), onnxruntime's
uint8 x int8 kernel sums pairs of products in 16 bits with saturation
(``vpmaddubsw``), so full-range int8 weights give wrong products there (seen
on an AVX2-only EPYC: errors of 10% of the output range), and the same
database would get different vectors on different CPUs. ``w + 128`` as
uint8 with zero point 128 is the same number exactly, and the uint8 x uint8
kernel does not saturate on any CPU. It costs ~0.5 ms per query on AVX2.

The embedding tables are looked up before they are dequantized
(``Gather(Mul(Cast(table), scale), ids) -> Mul(Cast(Gather(table, ids)),
scale[ids])``): the same numbers bit for bit, and onnxruntime no longer folds
the 30,522-row word table into 47 MB of float32 at every load.

The rewritten model is cached on disk (:func:`load_int8_model`). The rewrite
uses the ``onnx`` package, whose import alone costs 0.9-1.4 s of CPU (its
``ml_dtypes`` extension; more than everything else a cold ``phasemem search``
does), and ~0.3 s more to parse, rewrite, serialize and store the model. So the
project builds the rewritten model once, on first use, and later processes
hand that file straight to onnxruntime without importing ``onnx`` at all:
loading the embedder then takes ~200 ms of CPU on the 2-core VM, against
~325 ms when earlier versions rewrote the model in memory at every start with
a hand-written protobuf codec (median of 9 fresh processes each). The cache
lives in ``$PHASEMEM_CACHE_DIR``, else ``$XDG_CACHE_HOME/phasemem``, else
``~/.cache/phasemem``; an entry is ~23 MB.
It is only a cache: an entry is written atomically (temporary file, then
``os.replace``); a directory that cannot be written, or an entry onnxruntime
cannot load or that does not carry the expected key, means the model is
rewritten in memory instead (logged at debug level), never that the embedder
fails. Deleting the directory is always safe.

How an entry is keyed: by the rewrite version (:data:`REWRITE_VERSION`, bumped
whenever the rewrite's output changes), the model package's name and version,
the source file's real path and its ``stat`` identity (device, inode, size,
mtime and ctime in nanoseconds), not by a hash of its 23 MB. Reading and
hashing the file (sha256) measured 40-45 ms of CPU (50-60 ms wall) per start,
a third of what the cache saves; the ``stat`` key costs ~0.1 ms. It is still
safe here: any write to the source file sets its ctime to the current time
(on POSIX a process can set mtime back, not ctime), and a reinstall makes a
new file (new inode and times), so a changed source gets a new key and a
fresh rewrite. What
it may do is rebuild needlessly (a copied environment, a ``chmod``): one slow
start. The full sha256 of the source is computed when an entry is built (the
file is read then anyway) and recorded inside it, so an entry can always be
checked against its source. An entry is found by its file name and accepted
only if the metadata inside it (read by onnxruntime while it loads the model,
so for free) names the same key and rewrite version: a truncated or foreign
file fails that check or fails to parse. Writing an entry deletes the older
entries of the same source path and rewrite version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:  # imported where it is used: a cache hit must not pay for it
    import onnx

__all__ = [
    "REWRITE_VERSION",
    "cache_dir",
    "dynamic_int8_matmuls",
    "load_int8_model",
    "rewrite_int8_model",
]

log = logging.getLogger(__name__)

#: Bump whenever :func:`rewrite_int8_model` would write a different model: cached
#: entries of other versions are then never read again.
REWRITE_VERSION = 1

_MS_DOMAIN = "com.microsoft"
# metadata_props of a cached entry (read back through onnxruntime's custom metadata)
_META_VERSION = "phasemem.rewrite_version"
_META_KEY = "phasemem.cache_key"
_META_MATMULS = "phasemem.int8_matmuls"
_META_SOURCE_SHA256 = "phasemem.source_sha256"

S = TypeVar("S")


# -- the rewrite -----------------------------------------------------------------------------
def dynamic_int8_matmuls(model_bytes: bytes) -> tuple[bytes, int]:
    """The serialized model rewritten by :func:`rewrite_int8_model`.

    Returns ``(serialized model, number of MatMuls rewritten)``; the input bytes
    themselves when nothing was rewritten. Raises ``ValueError`` when the bytes
    are not a protobuf message.
    """
    model = _parse(model_bytes)
    matmuls, lookups = rewrite_int8_model(model)
    if not matmuls and not lookups:
        return model_bytes, 0
    return model.SerializeToString(), matmuls


def _parse(model_bytes: bytes) -> onnx.ModelProto:
    import onnx
    from google.protobuf.message import DecodeError

    try:
        return onnx.load_from_string(model_bytes)
    except DecodeError as exc:
        raise ValueError(f"not an ONNX model: {exc}") from exc


def rewrite_int8_model(model: onnx.ModelProto) -> tuple[int, int]:
    """Make every int8-weight ``MatMul`` of ``model`` a ``DynamicQuantizeMatMul``,
    and look every int8 embedding table up before it is dequantized (in place).

    Returns ``(MatMuls rewritten, table lookups rewritten)``. A MatMul is
    rewritten only when its weight is ``Mul(Cast(int8 initializer), float
    initializer)`` with one scale per output column (or one in all) and
    nothing else reads the intermediate values; anything else is left as it
    was, so the result computes the same function up to activation rounding.

    ``Gather(Mul(Cast(int8 table), scale), ids)`` becomes
    ``Mul(Cast(Gather(table, ids)), Gather(scale, ids))`` (the scale gathered
    too when there is one per row): the same numbers bit for bit, but
    onnxruntime no longer folds the 30,522-row word table into 47 MB of
    float32 when it loads (half the session's start-up time and 100 MB of
    memory).
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    nodes = list(graph.node)
    producer = {out: i for i, node in enumerate(nodes) for out in node.output}
    readers: dict[str, int] = {}
    for node in nodes:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    outputs = [o.name for o in graph.output]
    for name in outputs:  # a graph output is a reader too: it must keep its value
        readers[name] = readers.get(name, 0) + 1
    inits = {t.name: t for t in graph.initializer}

    def int8_weight(name: str) -> _Weight | None:
        return _int8_weight(name, nodes, producer, readers, inits)

    gone: set[int] = set()  # the Cast and Mul nodes a rewrite made unneeded
    old_inits: set[str] = set()  # initializers replaced by new ones
    still_read: set[str] = set()  # ... and those a new lookup reads
    replacement: dict[int, list[onnx.NodeProto]] = {}
    new_inits: list[onnx.TensorProto] = []
    matmuls = 0
    for i, node in enumerate(nodes):
        if node.op_type == "Gather" and not node.domain and len(node.input) == 2:
            table = int8_weight(node.input[0])
            lookup = _lookup_first(node, table) if table is not None else None
            if table is not None and lookup is not None:
                replacement[i] = lookup
                gone.update((table.mul, table.cast))
                still_read.update((table.weight_name, table.scale_name))
            continue
        if node.op_type != "MatMul" or node.domain or len(node.input) != 2:
            continue
        found = int8_weight(node.input[1])
        if found is None:
            continue
        flat = found.scale.reshape(-1).astype(np.float32)
        if flat.size not in (1, found.weight.shape[1]):
            continue
        base = node.name or node.output[0]
        weight_name = f"{base}__dq_weight"
        scale_name, zero_name = f"{base}__dq_scale", f"{base}__dq_zero"
        # the same values as uint8 with zero point 128 (see the module docstring)
        shifted = (found.weight.astype(np.int16) + 128).astype(np.uint8)
        new_inits += [
            numpy_helper.from_array(shifted, weight_name),
            numpy_helper.from_array(flat, scale_name),
            numpy_helper.from_array(np.full(flat.shape, 128, dtype=np.uint8), zero_name),
        ]
        replacement[i] = [
            helper.make_node(
                "DynamicQuantizeMatMul",
                [node.input[0], weight_name, scale_name, zero_name],
                list(node.output),
                name=f"{base}__dq",
                domain=_MS_DOMAIN,
            )
        ]
        matmuls += 1
        gone.update((found.mul, found.cast))
        old_inits.update(name for name in nodes[found.mul].input if name in inits)
        old_inits.add(found.weight_name)  # the int8 weight: dropped unless read elsewhere

    if not replacement:
        return 0, 0
    # Initializers the rewrite replaced go, unless something else still reads them
    # (a subgraph may read outer names its node does not list: then nothing goes).
    used = {name for i, n in enumerate(nodes) if i not in gone for name in n.input}
    used.update(outputs)
    used.update(still_read)
    subgraphs = any(a.HasField("g") or len(a.graphs) for n in nodes for a in n.attribute)
    rewritten = [r for i, n in enumerate(nodes) if i not in gone for r in replacement.get(i, [n])]
    del graph.node[:]
    graph.node.extend(rewritten)
    if not subgraphs:
        keep = [t for t in graph.initializer if t.name not in old_inits or t.name in used]
        del graph.initializer[:]
        graph.initializer.extend(keep)
    graph.initializer.extend(new_inits)
    if not any(op.domain == _MS_DOMAIN for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid(_MS_DOMAIN, 1))
    return matmuls, len(replacement) - matmuls


@dataclass(frozen=True, slots=True)
class _Weight:
    """``Mul(Cast(int8 initializer), float initializer)``: node indices and values."""

    mul: int
    cast: int
    weight: np.ndarray
    weight_name: str
    scale: np.ndarray
    scale_name: str


def _int8_weight(
    name: str,
    nodes: list[onnx.NodeProto],
    producer: dict[str, int],
    readers: dict[str, int],
    inits: dict[str, onnx.TensorProto],
) -> _Weight | None:
    """``name`` as ``Mul(Cast(int8 2-D initializer), float initializer)`` read by
    one node, the Cast's output read by the Mul alone; None otherwise."""
    from onnx import TensorProto

    mul_i = producer.get(name)
    if mul_i is None or readers.get(name, 0) != 1:
        return None
    mul = nodes[mul_i]
    if mul.op_type != "Mul" or mul.domain or len(mul.input) != 2:
        return None
    for cast_in, scale_in in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
        cast_i = producer.get(cast_in)
        if cast_i is None or readers.get(cast_in, 0) != 1:
            continue
        cast = nodes[cast_i]
        if cast.op_type != "Cast" or cast.domain or not cast.input:
            continue
        if _int_attribute(cast, "to") != TensorProto.FLOAT:
            continue
        w = _array(inits.get(cast.input[0]), TensorProto.INT8)
        s = _array(inits.get(scale_in), TensorProto.FLOAT)
        if w is None or s is None or w.ndim != 2:
            continue
        return _Weight(mul_i, cast_i, w, cast.input[0], s, scale_in)
    return None


def _array(tensor: onnx.TensorProto | None, data_type: int) -> np.ndarray | None:
    """The values of an initializer of this type held in the model itself."""
    from onnx import TensorProto, numpy_helper

    if tensor is None or tensor.data_type != data_type:
        return None
    if tensor.data_location == TensorProto.EXTERNAL:
        return None
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError):  # e.g. fewer values than its dims say
        return None


def _int_attribute(node: onnx.NodeProto, name: str) -> int | None:
    for a in node.attribute:
        if a.name == name:
            return a.i if a.HasField("i") else None
    return None


def _lookup_first(gather: onnx.NodeProto, table: _Weight) -> list[onnx.NodeProto] | None:
    """Nodes that look rows up in the int8 table, then dequantize only them;
    None when the gather is not a row lookup this can express exactly."""
    from onnx import TensorProto, helper

    if _int_attribute(gather, "axis") not in (None, 0):
        return None
    rows, cols = table.weight.shape
    ids, base = gather.input[1], gather.name or gather.output[0]
    q, f, scale = f"{base}__q", f"{base}__f", table.scale
    nodes = [helper.make_node("Gather", [table.weight_name, ids], [q], name=q, axis=0)]
    if scale.size == 1 or scale.shape in ((cols,), (1, cols)):  # broadcasts as it is
        factor = table.scale_name
    elif scale.shape == (rows, 1):  # one scale per row: look it up too
        factor = f"{base}__s"
        nodes.append(
            helper.make_node("Gather", [table.scale_name, ids], [factor], name=factor, axis=0)
        )
    else:
        return None
    nodes += [
        helper.make_node("Cast", [q], [f], name=f, to=TensorProto.FLOAT),
        helper.make_node("Mul", [f, factor], list(gather.output), name=f"{base}__dq"),
    ]
    return nodes


# -- the on-disk cache -------------------------------------------------------------------------
def cache_dir() -> Path:
    """``$PHASEMEM_CACHE_DIR``, else ``$XDG_CACHE_HOME/phasemem``, else ``~/.cache/phasemem``
    (a relative ``$XDG_CACHE_HOME`` is ignored, as the XDG spec says)."""
    env = os.environ.get("PHASEMEM_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "phasemem"


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    key: str  # full hex key, also stored inside the entry
    stale: str  # glob of this source's entries of this rewrite version (older keys)


def _entry(source: Path, label: str) -> _Entry:
    """Where the rewrite of ``source`` is cached (see the module docstring for the key)."""
    real = os.path.realpath(source)
    st = os.stat(real)
    ident = [REWRITE_VERSION, label, real, st.st_dev, st.st_ino, st.st_size,
             st.st_mtime_ns, st.st_ctime_ns]  # fmt: skip
    key = hashlib.sha256(json.dumps(ident).encode()).hexdigest()
    where = hashlib.sha256(real.encode()).hexdigest()[:10]
    prefix = f"{re.sub(r'[^A-Za-z0-9._-]+', '_', label or source.stem)}-r{REWRITE_VERSION}-{where}"
    return _Entry(cache_dir() / f"{prefix}-{key[:16]}.onnx", key, f"{prefix}-*.onnx")


def load_int8_model(
    source: str | os.PathLike[str], open_session: Callable[[str | bytes], S], *, label: str = ""
) -> tuple[S, str | bytes, int]:
    """An onnxruntime session of ``source`` rewritten by :func:`rewrite_int8_model`.

    ``open_session`` makes a session from a model file's path or a serialized
    model; ``label`` names the model's package and version (it goes into the
    key and the file name). Returns ``(session, the path or bytes it was made
    from, number of MatMuls rewritten)``. From the cache when it holds the
    rewrite (``onnx`` is not imported then); else the source is rewritten and
    the result stored for the next process. Cache trouble of any kind falls
    back to the in-memory rewrite; only a source that cannot be read, rewritten
    or loaded raises.
    """
    source = Path(source)
    entry: _Entry | None = None
    try:
        entry = _entry(source, label)
    except (OSError, RuntimeError) as exc:  # no home directory, source not stat-able
        log.debug("model cache unavailable: %s", exc)
    if entry is not None and os.path.isfile(entry.path):  # False on any error
        try:
            session = open_session(str(entry.path))
            matmuls = _check(session, entry.key)
        except Exception as exc:  # onnxruntime's errors have no common base
            log.debug("model cache entry %s unreadable, rewriting: %s", entry.path, exc)
        else:
            if matmuls is not None:
                return session, str(entry.path), matmuls
            log.debug("model cache entry %s is not the expected one, rewriting", entry.path)

    raw = source.read_bytes()
    model = _parse(raw)
    matmuls, _ = rewrite_int8_model(model)
    meta = {
        _META_VERSION: str(REWRITE_VERSION),
        _META_KEY: entry.key if entry is not None else "",
        _META_MATMULS: str(matmuls),
        _META_SOURCE_SHA256: hashlib.sha256(raw).hexdigest(),
    }
    del raw
    _set_props(model, meta)
    data = model.SerializeToString()
    del model
    if entry is not None:
        _store(entry, data)
    return open_session(data), data, matmuls


def _set_props(model: onnx.ModelProto, meta: dict[str, str]) -> None:
    """Set these ``metadata_props`` (replacing any of the same keys)."""
    from onnx import helper

    kept = {p.key: p.value for p in model.metadata_props if p.key not in meta}
    helper.set_model_props(model, {**kept, **meta})


def _check(session: Any, key: str) -> int | None:
    """The entry's number of rewritten MatMuls if its metadata names ``key``."""
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get(_META_VERSION) != str(REWRITE_VERSION) or meta.get(_META_KEY) != key:
        return None
    try:
        return int(meta[_META_MATMULS])
    except (KeyError, ValueError):
        return None


def _store(entry: _Entry, data: bytes) -> None:
    """Write the entry atomically; delete this source's older entries. Never raises."""
    tmp = None
    try:
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=entry.path.parent, prefix=f".{entry.path.name}.", suffix=".tmp"
        )
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # public weights; mkstemp makes it 0600
        os.replace(tmp, entry.path)
        tmp = None
        log.debug("model cache: wrote %s", entry.path)
        for old in entry.path.parent.glob(entry.stale):
            if old != entry.path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("model cache: cannot write %s: %s", entry.path, exc)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
