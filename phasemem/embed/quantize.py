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

The rewrite happens in memory when the embedder loads (~0.2 s), so nothing is
written to disk and the package's model file stays the single source.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["dynamic_int8_matmuls"]

_MS_DOMAIN = "com.microsoft"


def dynamic_int8_matmuls(model_bytes: bytes) -> tuple[bytes, int]:
    """The model with every int8-weight ``MatMul`` made a ``DynamicQuantizeMatMul``.

    Returns ``(serialized model, number of MatMuls rewritten)``. A MatMul is
    rewritten only when its weight is ``Mul(Cast(int8 initializer), float
    initializer)`` with one scale per output column (or one in all) and
    nothing else reads the intermediate values; anything else is left as it
    was, so the result computes the same function up to activation rounding.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    for out in graph.output:  # a graph output is a reader too: it must keep its value
        readers[out.name] = readers.get(out.name, 0) + 1
    inits = {t.name: t for t in graph.initializer}

    dropped: set[int] = set()
    old_scales: set[str] = set()
    replacement: dict[int, Any] = {}
    for node in graph.node:
        if node.op_type != "MatMul" or len(node.input) != 2:
            continue
        found = _int8_weight(node.input[1], producer, readers, inits)
        if found is None:
            continue
        mul, cast, weight, scale = found
        cols = weight.shape[1]
        flat = scale.reshape(-1).astype(np.float32)
        if flat.size not in (1, cols):
            continue
        base = node.name or node.output[0]
        weight_name = f"{base}__dq_weight"
        scale_name, zero_name = f"{base}__dq_scale", f"{base}__dq_zero"
        shifted = (weight.astype(np.int16) + 128).astype(np.uint8)  # same value, zero point 128
        graph.initializer.append(numpy_helper.from_array(shifted, weight_name))
        graph.initializer.append(numpy_helper.from_array(flat, scale_name))
        graph.initializer.append(
            numpy_helper.from_array(np.full(flat.shape, 128, dtype=np.uint8), zero_name)
        )
        replacement[id(node)] = helper.make_node(
            "DynamicQuantizeMatMul",
            [node.input[0], weight_name, scale_name, zero_name],
            list(node.output),
            name=f"{base}__dq",
            domain=_MS_DOMAIN,
        )
        dropped.update((id(mul), id(cast)))
        old_scales.update(i for i in mul.input if i in inits)
        old_scales.add(cast.input[0])  # the int8 weight: dropped unless read elsewhere

    if not replacement:
        return model_bytes, 0
    nodes = [replacement.get(id(n), n) for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    _drop_unused(graph, old_scales)
    if not any(op.domain == _MS_DOMAIN for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid(_MS_DOMAIN, 1))
    return model.SerializeToString(), len(replacement)


def _int8_weight(
    name: str, producer: dict[str, Any], readers: dict[str, int], inits: dict[str, Any]
) -> tuple[Any, Any, np.ndarray, np.ndarray] | None:
    """``(mul, cast, int8 weight, scale)`` when ``name`` is ``Mul(Cast(int8), scale)``."""
    import onnx
    from onnx import numpy_helper

    mul = producer.get(name)
    if mul is None or mul.op_type != "Mul" or readers.get(name, 0) != 1:
        return None
    for cast_in, scale_in in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
        cast = producer.get(cast_in)
        if cast is None or cast.op_type != "Cast" or readers.get(cast_in, 0) != 1:
            continue
        w = inits.get(cast.input[0])
        s = inits.get(scale_in)
        if w is None or s is None or w.data_type != onnx.TensorProto.INT8:
            continue
        if s.data_type != onnx.TensorProto.FLOAT or len(w.dims) != 2:
            continue
        to = next((a.i for a in cast.attribute if a.name == "to"), None)
        if to != onnx.TensorProto.FLOAT:
            continue
        return mul, cast, numpy_helper.to_array(w), numpy_helper.to_array(s)
    return None


def _drop_unused(graph: Any, names: set[str]) -> None:
    """Remove the initializers the rewrite replaced, unless something else reads them."""
    used = {name for node in graph.node for name in node.input}
    used.update(out.name for out in graph.output)
    keep = [t for t in graph.initializer if t.name not in names or t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
