"""The pipe codec: plain data crosses intact, anything else is refused."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from autograder.sandbox.faults import Fault, FaultKind
from autograder.sandbox.protocol import MAX_MESSAGE_BYTES, CodecError, encode_message, read_message
from autograder.sandbox.replies import READY_ID, WorkerReply


def roundtrip(value, max_bytes=MAX_MESSAGE_BYTES):
    stream = io.BytesIO(encode_message({"value": value}, max_bytes))
    return read_message(lambda n: stream.read(n), max_bytes)["value"]


def test_plain_values_and_arrays_cross_intact():
    """Do numbers, strings, lists, tuples, dicts, numpy scalars and arrays keep type, dtype and shape?"""
    value = {"a": (1, 2.5, None, True, "x"), "b": [np.float32(1.5), np.int64(3)],
             "c": np.arange(6, dtype=np.float32).reshape(2, 3), "d": np.array(7.0), "e": float("nan")}
    back = roundtrip(value)
    assert back["a"] == (1, 2.5, None, True, "x") and isinstance(back["a"], tuple)
    assert back["b"][0].dtype == np.float32 and back["b"][1] == 3
    assert back["c"].dtype == np.float32 and back["c"].shape == (2, 3)
    assert back["d"].shape == () and back["d"] == 7.0
    assert np.isnan(back["e"])


@pytest.mark.parametrize("value", [
    object(), np.array([object()], dtype=object), {1: 2}, np.zeros(2).view(np.dtype([("a", "f4"), ("b", "f4")])),
    type("Rigged", (), {"__eq__": lambda s, o: True})(),
])
def test_objects_that_are_not_plain_data_are_refused(value):
    """Are arbitrary objects, object arrays, structured arrays and non-string dict keys refused?"""
    with pytest.raises(CodecError):
        encode_message({"value": value})


def test_ndarray_subclass_arrives_as_a_plain_ndarray():
    """Does an ndarray subclass (with a rigged __eq__) arrive as a plain ndarray of its data?"""
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    back = roundtrip(np.arange(3.0).view(Liar))
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0]


def test_huge_and_broadcast_arrays_are_refused_before_allocation():
    """Is a broadcast view of 10^10 elements refused by size, without materialising it?"""
    with pytest.raises(CodecError, match="too large"):
        encode_message({"value": np.broadcast_to(np.zeros(1), (100_000, 100_000))})


def test_garbage_on_the_pipe_is_a_codec_error():
    """Does a malformed frame raise CodecError rather than crash the judge?"""
    stream = io.BytesIO(b"\x00\x00\x00\x00\x00\x00\x00\x05{bad}")
    with pytest.raises(CodecError):
        read_message(lambda n: stream.read(n))
    stream = io.BytesIO(b"\xff" * 8)
    with pytest.raises(CodecError, match="exceeds"):
        read_message(lambda n: stream.read(n))


def test_large_and_small_arrays_interleaved_cross_intact():
    """Large arrays are written from their own memory, small ones inline: any mix must arrive in order."""
    big = np.arange(300_000, dtype=np.float64).reshape(600, 500)
    value = (np.int8(3), big, np.arange(5), big[:, ::2], {"b": big.T, "s": np.float32(1.5)}, [np.zeros(0), 7])
    got = roundtrip(value)
    assert got[0] == 3 and got[0].dtype == np.int8
    np.testing.assert_array_equal(got[1], big)
    np.testing.assert_array_equal(got[2], np.arange(5))
    np.testing.assert_array_equal(got[3], big[:, ::2])
    np.testing.assert_array_equal(got[4]["b"], big.T)
    assert got[4]["s"] == np.float32(1.5) and got[5][1] == 7 and got[5][0].shape == (0,)
    got[1][0, 0] = -1  # arrays that arrive are writable: student code may update its inputs in place


def test_arrays_read_from_a_pipe_are_writable_and_exact():
    import os

    from autograder.sandbox.protocol import fd_reader, widen_pipe, write_message

    read_fd, write_fd = os.pipe()
    widen_pipe(read_fd)
    big = np.random.default_rng(0).random((100, 784)).astype(np.float32)
    write_message(write_fd, {"value": (big, np.arange(3))})
    os.close(write_fd)
    got = read_message(fd_reader(read_fd))["value"]
    os.close(read_fd)
    np.testing.assert_array_equal(got[0], big)
    got[0][...] *= 2  # writable in place


# --- the worker's replies: one dataclass, encoded and decoded in one place ----------------------------------

def reply_roundtrip(reply: WorkerReply) -> WorkerReply:
    stream = io.BytesIO(encode_message(reply.to_message()))
    return WorkerReply.from_message(read_message(lambda n: stream.read(n)))


def test_fault_kinds_are_the_stable_codes_students_see():
    """Is every fault kind a kebab-case code that formats as itself (feedback codes and i18n keys use it)?"""
    assert len(FaultKind) == 19
    for kind in FaultKind:
        assert kind.value == kind.value.lower() and " " not in kind.value and "_" not in kind.value
        assert f"{kind}" == str(kind) == kind.value and kind == kind.value
    assert FaultKind.parse("timeout") is FaultKind.TIMEOUT and FaultKind.parse("no-such") is FaultKind.PROTOCOL


def test_worker_replies_cross_the_pipe_intact():
    """Do a value with its warnings, a fault with its exception classes and the hello keep every field?"""
    value = WorkerReply(ok=True, value=np.arange(3.0), warnings=(("RuntimeWarning", "overflow"),), id=4)
    back = reply_roundtrip(value)
    assert back.ok and back.id == 4 and back.warnings == value.warnings and back.fault is None
    assert np.array_equal(back.value, value.value)
    fault = Fault(FaultKind.EXCEPTION, "ValueError: no", exc_type="IdxError", trace="  a.py, line 1, in f",
                  exc_types=("IdxError", "ValueError", "Exception", "BaseException", "object"))
    back = reply_roundtrip(WorkerReply(ok=False, fault=fault, id=5))
    assert not back.ok and back.fault == fault and back.fault.raised("ValueError") and back.id == 5
    hello = reply_roundtrip(WorkerReply(ok=True, pid=1234))
    assert hello.ok and hello.pid == 1234 and hello.id == READY_ID


@pytest.mark.parametrize("message", [
    {}, {"ok": False}, {"ok": False, "fault": "boom"}, {"ok": False, "fault": {"kind": "made-up", "types": 3}},
    {"ok": "yes", "id": "7", "warnings": [1, ["a"]]},
])
def test_a_confused_worker_reply_is_a_protocol_fault_not_a_crash(message):
    """Does a reply with missing or wrong fields decode to a not-ok reply with a protocol fault?"""
    reply = WorkerReply.from_message(message)
    assert not reply.ok and reply.fault is not None and reply.fault.kind is FaultKind.PROTOCOL
    assert reply.warnings == () and reply.id != 7


MAX_FLOAT = sys.float_info.max


def test_lists_of_floats_cross_as_the_same_python_floats_bit_for_bit():
    """A plain-list test's rows of floats cross as float64 bytes: does every list arrive as a list of exactly the
    same Python floats (NaN, -0.0, inf, subnormals), and do lists with anything else keep their items' types?"""
    row = [0.1 * i for i in range(40)] + [float("nan"), -0.0, float("inf"), -float("inf"), 5e-324, MAX_FLOAT]
    value = [row, [row, row[:3]], [1.5, 2, True, None, "x"] * 5, [1.0] * 15, [2] * 40]
    back = roundtrip(value)
    assert type(back[0]) is list and all(type(v) is float for v in back[0])
    assert [v.hex() for v in back[0]] == [v.hex() for v in row]
    assert [v.hex() for v in back[1][0]] == [v.hex() for v in row] and back[1][1] == row[:3]
    assert back[2] == value[2] and [type(v) for v in back[2]] == [type(v) for v in value[2]]
    assert back[3] == [1.0] * 15 and back[4] == [2] * 40 and all(type(v) is int for v in back[4])


def _message_with_float_rows(rows: list[np.ndarray]) -> bytes:
    """A message whose value is lists made of `rows` as "floats" frames, written as another encoder might."""
    import json

    from autograder.sandbox import protocol

    encoder = protocol._Encoder(MAX_MESSAGE_BYTES)
    body = {"value": [encoder.array(r, "floats") for r in rows]}
    header = json.dumps({"body": body, "arrays": len(encoder.arrays)}).encode()
    data = protocol._LENGTH.pack(len(header)) + header
    for prefix, blob in encoder.arrays:
        data += protocol._LENGTH.pack(len(prefix) + len(blob)) + prefix + bytes(blob)
    return data


@pytest.mark.parametrize("rows,why", [
    ([np.zeros((2, 3))], "not a row"),
    ([np.zeros(5, dtype=np.float32)], "not a row"),
    ([np.zeros(600_000), np.zeros(600_000)], "more than"),
])
def test_the_judge_refuses_float_rows_that_are_not_rows_or_too_many(rows, why):
    """Student code can write any frame into the pipe: a "floats" frame that is not one row of float64, or
    rows that would make more than a million Python floats (~24 MB each million) are a CodecError."""
    stream = io.BytesIO(_message_with_float_rows(rows))
    with pytest.raises(CodecError, match=why):
        read_message(lambda n: stream.read(n))
