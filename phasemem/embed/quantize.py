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

The rewrite happens in memory when the embedder loads, so nothing is written
to disk and the package's model file stays the single source.

Why the protobuf is read and written here, field by field, instead of with the
``onnx`` package: importing ``onnx`` costs ~0.9 s (its ``ml_dtypes``
extension), more than everything else a cold ``phasemem search`` does. The
rewrite touches five message types and copies every other field verbatim, so
a small wire-format codec does it in ~0.05 s with no dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["dynamic_int8_matmuls"]

_MS_DOMAIN = "com.microsoft"
_FLOAT, _UINT8, _INT8 = 1, 2, 3  # TensorProto.DataType
# Field numbers from onnx/onnx.proto (stable since ONNX 1.0).
_MODEL_GRAPH, _MODEL_OPSET = 7, 8
_GRAPH_NODE, _GRAPH_INIT, _GRAPH_OUTPUT = 1, 5, 12
_NODE_IN, _NODE_OUT, _NODE_NAME, _NODE_OP, _NODE_ATTR, _NODE_DOMAIN = 1, 2, 3, 4, 5, 7
_ATTR_NAME, _ATTR_I, _ATTR_G, _ATTR_GRAPHS, _ATTR_TYPE = 1, 3, 6, 11, 20
_ATTR_INT = 2  # AttributeProto.AttributeType.INT
_T_DIMS, _T_TYPE, _T_FLOATS, _T_INT32S, _T_NAME, _T_RAW, _T_LOCATION = 1, 2, 4, 5, 8, 9, 14
_VALUE_NAME = 1
_OPSET_DOMAIN, _OPSET_VERSION = 1, 2


class _Malformed(ValueError):
    pass


# -- protobuf wire format ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Field:
    number: int
    wire: int  # 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
    value: int | memoryview
    raw: memoryview  # the whole field as it was encoded (key included)


def _read_varint(buf: memoryview, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise _Malformed("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf: memoryview) -> list[_Field]:
    out: list[_Field] = []
    i, n = 0, len(buf)
    while i < n:
        start = i
        key, i = _read_varint(buf, i)
        number, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == 0:
            value, i = _read_varint(buf, i)
        elif wire == 2:
            size, i = _read_varint(buf, i)
            value, i = buf[i : i + size], i + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, i = buf[i : i + size], i + size
        else:  # groups (3, 4) do not occur in ONNX
            raise _Malformed(f"wire type {wire}")
        if i > n or number == 0:
            raise _Malformed("truncated field")
        out.append(_Field(number, wire, value, buf[start:i]))
    return out


def _varint(n: int) -> bytes:
    if n < 0:  # int64 two's complement
        n += 1 << 64
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _len_key(number: int, size: int) -> bytes:
    """Key and length of a length-delimited field (its payload follows)."""
    return _varint(number << 3 | 2) + _varint(size)


def _bytes_field(number: int, payload: bytes) -> bytes:
    return _len_key(number, len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _string(f: _Field) -> str:
    if not isinstance(f.value, memoryview):
        raise _Malformed(f"field {f.number} is not a string")
    return bytes(f.value).decode("utf-8")


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _ints(fields: list[_Field], number: int) -> list[int]:
    """A repeated integer field, packed or not."""
    out: list[int] = []
    for f in fields:
        if f.number != number:
            continue
        if isinstance(f.value, int):
            out.append(_signed(f.value))
        else:
            i = 0
            while i < len(f.value):
                v, i = _read_varint(f.value, i)
                out.append(_signed(v))
    return out


def _last(fields: list[_Field], number: int) -> _Field | None:
    found = None
    for f in fields:
        if f.number == number:
            found = f
    return found


# -- the few ONNX messages the rewrite reads ---------------------------------------------
@dataclass(slots=True)
class _Node:
    fields: list[_Field]
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    name: str = ""
    op_type: str = ""
    domain: str = ""
    has_subgraph: bool = False

    @classmethod
    def parse(cls, buf: memoryview) -> _Node:
        fs = _fields(buf)
        node = cls(fs)
        for f in fs:
            if f.number == _NODE_IN:
                node.inputs.append(_string(f))
            elif f.number == _NODE_OUT:
                node.outputs.append(_string(f))
            elif f.number == _NODE_NAME:
                node.name = _string(f)
            elif f.number == _NODE_OP:
                node.op_type = _string(f)
            elif f.number == _NODE_DOMAIN:
                node.domain = _string(f)
            elif f.number == _NODE_ATTR and isinstance(f.value, memoryview):
                node.has_subgraph |= any(
                    a.number in (_ATTR_G, _ATTR_GRAPHS) for a in _fields(f.value)
                )
        return node

    def int_attribute(self, name: str) -> int | None:
        for f in self.fields:
            if f.number != _NODE_ATTR or not isinstance(f.value, memoryview):
                continue
            attr = _fields(f.value)
            n = _last(attr, _ATTR_NAME)
            if n is not None and _string(n) == name:
                i = _last(attr, _ATTR_I)
                return _signed(i.value) if i is not None and isinstance(i.value, int) else None
        return None


def _tensor_name(buf: memoryview) -> str:
    f = _last(_fields(buf), _T_NAME)
    return _string(f) if f is not None else ""


def _tensor_array(buf: memoryview) -> tuple[int, np.ndarray] | None:
    """``(data type, array)`` of an initializer held in the file (raw, int32 or
    float data); None for anything else (external data, other storage)."""
    fs = _fields(buf)
    dtype = _last(fs, _T_TYPE)
    loc = _last(fs, _T_LOCATION)
    if dtype is None or not isinstance(dtype.value, int) or (loc is not None and loc.value != 0):
        return None
    dims = _ints(fs, _T_DIMS)
    np_type = {_FLOAT: np.dtype("<f4"), _INT8: np.dtype("i1")}.get(dtype.value)
    if np_type is None or any(d < 0 for d in dims):
        return None
    raw = _last(fs, _T_RAW)
    if raw is not None and isinstance(raw.value, memoryview):
        flat = np.frombuffer(raw.value, dtype=np_type)
    elif dtype.value == _INT8:
        flat = np.array(_ints(fs, _T_INT32S), dtype=np.int64).astype(np.int8)
    else:
        parts = [f.value for f in fs if f.number == _T_FLOATS and isinstance(f.value, memoryview)]
        flat = np.frombuffer(b"".join(parts), dtype=np_type)
    if flat.size != int(np.prod(dims, dtype=np.int64)):
        return None
    return dtype.value, flat.reshape(dims)


def _tensor(name: str, array: np.ndarray, data_type: int) -> list[bytes]:
    """A TensorProto as parts (the weights are not copied into a header)."""
    data = np.ascontiguousarray(array).tobytes()
    head = (
        b"".join(_int_field(_T_DIMS, d) for d in array.shape)
        + _int_field(_T_TYPE, data_type)
        + _bytes_field(_T_NAME, name.encode())
        + _len_key(_T_RAW, len(data))
    )
    return [head, data]


def _node(inputs: list[str], outputs: list[str], name: str, op_type: str, domain: str = "",
          ints: dict[str, int] | None = None) -> bytes:  # fmt: skip
    """A NodeProto; ``ints``: integer attributes (``to`` of a Cast, ``axis``)."""
    attrs = b"".join(
        _bytes_field(_NODE_ATTR, _bytes_field(_ATTR_NAME, k.encode()) + _int_field(_ATTR_I, v)
                     + _int_field(_ATTR_TYPE, _ATTR_INT))
        for k, v in (ints or {}).items()
    )  # fmt: skip
    return (
        b"".join(_bytes_field(_NODE_IN, s.encode()) for s in inputs)
        + b"".join(_bytes_field(_NODE_OUT, s.encode()) for s in outputs)
        + _bytes_field(_NODE_NAME, name.encode())
        + _bytes_field(_NODE_OP, op_type.encode())
        + (_bytes_field(_NODE_DOMAIN, domain.encode()) if domain else b"")
        + attrs
    )


# -- the rewrite -----------------------------------------------------------------------------
def dynamic_int8_matmuls(model_bytes: bytes) -> tuple[bytes, int]:
    """The model with every int8-weight ``MatMul`` made a ``DynamicQuantizeMatMul``,
    and every int8 embedding table looked up before it is dequantized.

    Returns ``(serialized model, number of MatMuls rewritten)``. A MatMul is
    rewritten only when its weight is ``Mul(Cast(int8 initializer), float
    initializer)`` with one scale per output column (or one in all) and
    nothing else reads the intermediate values; anything else is left as it
    was, so the result computes the same function up to activation rounding.

    ``Gather(Mul(Cast(int8 table), scale), ids)`` becomes
    ``Mul(Cast(Gather(table, ids)), Gather(scale, ids))`` (the scale gathered
    too when there is one per row): the same numbers bit for bit, but
    onnxruntime no longer folds the 30,522-row word table into 47 MB of
    float32 when it loads (half the session's start-up time and 100 MB of
    memory). Raises ``ValueError`` when the bytes are not a protobuf message.
    """
    model = _fields(memoryview(model_bytes))
    graph_fields = [f for f in model if f.number == _MODEL_GRAPH]
    if len(graph_fields) != 1 or not isinstance(graph_fields[0].value, memoryview):
        return model_bytes, 0
    graph = _fields(graph_fields[0].value)
    nodes = {id(f): _Node.parse(f.value) for f in graph if f.number == _GRAPH_NODE}  # type: ignore[arg-type]
    producer = {out: node for node in nodes.values() for out in node.outputs}
    readers: dict[str, int] = {}
    for node in nodes.values():
        for name in node.inputs:
            readers[name] = readers.get(name, 0) + 1
    outputs = [
        _string(o)
        for f in graph
        if f.number == _GRAPH_OUTPUT and isinstance(f.value, memoryview)
        for o in _fields(f.value)
        if o.number == _VALUE_NAME
    ]
    for name in outputs:  # a graph output is a reader too: it must keep its value
        readers[name] = readers.get(name, 0) + 1
    inits = {_tensor_name(f.value): f.value for f in graph if f.number == _GRAPH_INIT}  # type: ignore[arg-type]

    dropped: set[int] = set()
    old_inits: set[str] = set()
    replacement: dict[int, list[bytes]] = {}
    new_inits: list[list[bytes]] = []
    matmuls = 0
    still_read: set[str] = set()
    for key, node in nodes.items():
        if node.op_type == "Gather" and not node.domain and len(node.inputs) == 2:
            found_table = _int8_weight(node.inputs[0], producer, readers, inits)
            lookup = _lookup_first(node, found_table) if found_table is not None else None
            if lookup is not None:
                mul, cast, _, _, scale_name = found_table  # type: ignore[misc]
                replacement[key] = lookup
                dropped.update((id(mul), id(cast)))
                still_read.update((cast.inputs[0], scale_name))  # by the new lookup
            continue
        if node.op_type != "MatMul" or node.domain or len(node.inputs) != 2:
            continue
        found = _int8_weight(node.inputs[1], producer, readers, inits)
        if found is None:
            continue
        mul, cast, weight, scale, _ = found
        cols = weight.shape[1]
        flat = scale.reshape(-1).astype(np.float32)
        if flat.size not in (1, cols):
            continue
        base = node.name or node.outputs[0]
        weight_name = f"{base}__dq_weight"
        scale_name, zero_name = f"{base}__dq_scale", f"{base}__dq_zero"
        shifted = (weight.astype(np.int16) + 128).astype(np.uint8)  # same value, zero point 128
        new_inits += [
            _tensor(weight_name, shifted, _UINT8),
            _tensor(scale_name, flat, _FLOAT),
            _tensor(zero_name, np.full(flat.shape, 128, dtype=np.uint8), _UINT8),
        ]
        replacement[key] = [_node([node.inputs[0], weight_name, scale_name, zero_name],
                                  node.outputs, f"{base}__dq", "DynamicQuantizeMatMul", _MS_DOMAIN)]  # fmt: skip
        matmuls += 1
        dropped.update((id(mul), id(cast)))
        old_inits.update(i for i in mul.inputs if i in inits)
        old_inits.add(cast.inputs[0])  # the int8 weight: dropped unless read elsewhere

    if not replacement:
        return model_bytes, 0
    keys = {id(n): k for k, n in nodes.items()}
    gone = {keys[d] for d in dropped}
    # Initializers the rewrite replaced go, unless something else still reads them
    # (a subgraph may read outer names its node does not list: then nothing goes).
    used = {name for k, n in nodes.items() if k not in gone for name in n.inputs}
    used.update(outputs)
    used.update(still_read)
    subgraphs = any(n.has_subgraph for n in nodes.values())
    parts: list[bytes | memoryview] = []
    for f in graph:
        if f.number == _GRAPH_NODE:
            if id(f) in gone:
                continue
            if id(f) in replacement:
                parts.extend(_bytes_field(_GRAPH_NODE, n) for n in replacement[id(f)])
                continue
        elif f.number == _GRAPH_INIT and not subgraphs:
            name = _tensor_name(f.value)  # type: ignore[arg-type]
            if name in old_inits and name not in used:
                continue
        parts.append(f.raw)
    for t in new_inits:
        parts += [_len_key(_GRAPH_INIT, sum(map(len, t))), *t]

    # One copy of the 23 MB at the end: the graph's parts nest into the model's.
    out: list[bytes | memoryview] = []
    has_ms = False
    for f in model:
        if f.number == _MODEL_GRAPH:
            out += [_len_key(_MODEL_GRAPH, sum(map(len, parts))), *parts]
            continue
        if f.number == _MODEL_OPSET and isinstance(f.value, memoryview):
            d = _last(_fields(f.value), _OPSET_DOMAIN)
            has_ms |= d is not None and _string(d) == _MS_DOMAIN
        out.append(f.raw)
    if not has_ms:
        out.append(_bytes_field(_MODEL_OPSET, _bytes_field(_OPSET_DOMAIN, _MS_DOMAIN.encode())
                                + _int_field(_OPSET_VERSION, 1)))  # fmt: skip
    return b"".join(out), matmuls


def _lookup_first(
    gather: _Node, found: tuple[_Node, _Node, np.ndarray, np.ndarray, str]
) -> list[bytes] | None:
    """Nodes that look rows up in the int8 table, then dequantize only them;
    None when the gather is not a row lookup this can express exactly."""
    _, cast, table, scale, scale_name = found
    if gather.int_attribute("axis") not in (None, 0):
        return None
    rows, cols = table.shape
    ids, base = gather.inputs[1], gather.name or gather.outputs[0]
    nodes = [_node([cast.inputs[0], ids], [f"{base}__q"], f"{base}__q", "Gather", ints={"axis": 0})]
    if scale.size == 1 or scale.shape in ((cols,), (1, cols)):  # broadcasts as it is
        factor = scale_name
    elif scale.shape == (rows, 1):  # one scale per row: look it up too
        factor = f"{base}__s"
        nodes.append(_node([scale_name, ids], [factor], factor, "Gather", ints={"axis": 0}))
    else:
        return None
    nodes += [
        _node([f"{base}__q"], [f"{base}__f"], f"{base}__f", "Cast", ints={"to": _FLOAT}),
        _node([f"{base}__f", factor], list(gather.outputs), f"{base}__dq", "Mul"),
    ]
    return nodes


def _int8_weight(
    name: str, producer: dict[str, _Node], readers: dict[str, int], inits: dict[str, memoryview]
) -> tuple[_Node, _Node, np.ndarray, np.ndarray, str] | None:
    """``(mul, cast, int8 weight, scale, scale's name)`` when ``name`` is
    ``Mul(Cast(int8), scale)`` read by one node."""
    mul = producer.get(name)
    if mul is None or mul.op_type != "Mul" or mul.domain or readers.get(name, 0) != 1:
        return None
    if len(mul.inputs) != 2:
        return None
    for cast_in, scale_in in ((mul.inputs[0], mul.inputs[1]), (mul.inputs[1], mul.inputs[0])):
        cast = producer.get(cast_in)
        if cast is None or cast.op_type != "Cast" or cast.domain or readers.get(cast_in, 0) != 1:
            continue
        if not cast.inputs or cast.int_attribute("to") != _FLOAT:
            continue
        w = inits.get(cast.inputs[0])
        s = inits.get(scale_in)
        if w is None or s is None:
            continue
        wa, sa = _tensor_array(w), _tensor_array(s)
        if wa is None or sa is None or wa[0] != _INT8 or sa[0] != _FLOAT or wa[1].ndim != 2:
            continue
        return mul, cast, wa[1], sa[1], scale_in
    return None
