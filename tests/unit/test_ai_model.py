"""The AI model scanner on model files built at test time (tests/modelfixtures.py):
exact rule-id sets per file, every bypass trick of the issue, hostile input with
clear errors, and proof that a payload is never run. No model is ever loaded."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from dgp import kinds
from dgp.domain.job import ScanInputError, ScanInputs, ScanJob, ScanResult
from dgp.scanners.ai_model import aiact, pickles
from dgp.scanners.ai_model.allowlist import Verdict, verdict
from dgp.scanners.ai_model.options import AiModelOptions
from dgp.scanners.ai_model.scanner import scan
from tests import modelfixtures as mf

KEY = b"k" * 32
DOCUMENTED = {"README.md": "# Model\n\nlicense: apache-2.0\n"}  # a model card with a licence


def run(target: Path, questionnaire: dict[str, Any] | None = None, **options: Any) -> ScanResult:
    opts = AiModelOptions.from_dict(options, kinds.get("ai_model").limits)
    job = ScanJob("ai_model", str(target), opts, questionnaire=questionnaire)
    return scan(job, ScanInputs(KEY))


def model_dir(tmp_path: Path, files: dict[str, bytes], documented: bool = True) -> Path:
    folder = tmp_path / "model"
    folder.mkdir(parents=True)
    for name, data in {**(DOCUMENTED if documented else {}), **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def rules(result: ScanResult) -> set[str]:
    return {f.rule_id for f in result.findings}


def imports(result: ScanResult) -> set[str]:
    return {f.extra["import"] for f in result.findings if "import" in f.extra}


# -- the payload is detected and never run ---------------------------------------------------


def test_a_pickle_calling_os_system_is_critical_and_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    folder = model_dir(tmp_path, {"model.pkl": mf.system_call(f"touch {marker}")})
    result = run(folder)
    assert rules(result) == {"ai_model.pickle.dangerous_import"}
    [finding] = result.findings
    assert finding.severity.value == "critical" and finding.location.path == "model.pkl"
    assert finding.extra["import"] == "os.system"
    assert not marker.exists()  # neither the scanner nor this test ran it


@pytest.mark.parametrize(
    ("name", "data", "expected_imports", "expected_rules"),
    [
        ("posix.pkl", mf.system_call("id", "posix"), {"posix.system"}, set()),
        ("nt.pkl", mf.system_call("id", "nt"), {"nt.system"}, set()),
        ("memo.pkl", mf.memo_stack_global("id"), {"os.system"}, set()),
        ("text.pkl", mf.text_pickle_escaped("id"), {"os.system", "builtins.eval"}, set()),
        (
            "nested.pkl",
            mf.nested(mf.system_call("id")),
            {"pickle.loads", "os.system"},
            {"ai_model.pickle.nested"},
        ),
    ],
)
def test_bypass_tricks_are_caught(
    tmp_path: Path, name: str, data: bytes, expected_imports: set[str], expected_rules: set[str]
) -> None:
    result = run(model_dir(tmp_path, {name: data}))
    assert rules(result) == {"ai_model.pickle.dangerous_import", *expected_rules}
    assert imports(result) == expected_imports


def test_a_stack_global_with_computed_names_is_a_dynamic_import(tmp_path: Path) -> None:
    result = run(model_dir(tmp_path, {"m.pkl": mf.dynamic_stack_global()}))
    assert rules(result) == {"ai_model.pickle.dynamic_import"}


def test_a_benign_scikit_learn_pickle_gives_no_finding(tmp_path: Path) -> None:
    result = run(model_dir(tmp_path, {"model.joblib": mf.benign_sklearn()}))
    assert result.findings == []
    [artefact] = result.artefacts
    [row] = json.loads(artefact.data)["models"]
    assert row["framework"] == "scikit-learn" and row["format"] == "pickle"


def test_an_unlisted_import_is_medium(tmp_path: Path) -> None:
    data = mf.PROTO + b"\x02" + mf.global_("mypackage.layers", "Custom") + b")R."
    result = run(model_dir(tmp_path, {"m.pkl": data}))
    assert rules(result) == {"ai_model.pickle.unlisted_import"}
    assert result.findings[0].severity.value == "medium"


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("torch._utils", "_rebuild_tensor_v2", Verdict.ALLOWED),
        ("collections", "OrderedDict", Verdict.ALLOWED),
        ("copyreg", "__newobj__", Verdict.ALLOWED),
        ("sklearn.tree._classes", "DecisionTreeClassifier", Verdict.ALLOWED),
        ("builtins", "getattr", Verdict.DANGEROUS),
        ("builtins", "__import__", Verdict.DANGEROUS),
        ("subprocess", "Popen", Verdict.DANGEROUS),
        ("runpy", "_run_code", Verdict.DANGEROUS),
        ("torch", "load", Verdict.DANGEROUS),
        ("torch.serialization", "load", Verdict.DANGEROUS),
        ("pathlib", "Path.write_text", Verdict.DANGEROUS),
        ("torch._utils", "_rebuild_tensor.__globals__", Verdict.DANGEROUS),
        ("webbrowser", "open", Verdict.DANGEROUS),
        (" os", "system", Verdict.DANGEROUS),
        ("collections ", "OrderedDict", Verdict.UNLISTED),
        ("sklearn.x", "helper_function", Verdict.UNLISTED),
        ("mypackage", "Model", Verdict.UNLISTED),
    ],
)
def test_the_allowlist(module: str, name: str, expected: Verdict) -> None:
    assert verdict(module, name) is expected


# -- PyTorch zips and archives ---------------------------------------------------------------


def test_a_pytorch_checkpoint_is_clean_and_its_payload_variant_is_not(tmp_path: Path) -> None:
    clean = mf.torch_zip(tmp_path / "clean.pt", mf.torch_state_dict(("encoder.weight",)))
    result = run(model_dir(tmp_path, {"clean.pt": clean.read_bytes()}))
    assert result.findings == []
    row = json.loads(result.artefacts[0].data)["models"][0]
    assert row["framework"] == "pytorch" and row["format"] == "zip"
    bad = mf.torch_zip(tmp_path / "bad.pt", mf.system_call("id"))
    assert rules(run(bad)) >= {"ai_model.pickle.dangerous_import"}


def test_a_pickle_hidden_in_a_storage_entry_is_found(tmp_path: Path) -> None:
    path = mf.torch_zip(
        tmp_path / "m.pt", mf.torch_state_dict(), extra={"archive/data/7": mf.system_call("id")}
    )
    result = run(model_dir(tmp_path, {"m.pt": path.read_bytes()}))
    assert rules(result) == {"ai_model.archive.hidden_pickle", "ai_model.pickle.dangerous_import"}
    assert {f.location.path for f in result.findings} == {"m.pt!/archive/data/7"}


def test_a_zip_without_central_directory_is_read_from_local_headers(tmp_path: Path) -> None:
    path = mf.without_central_directory(mf.torch_zip(tmp_path / "m.pt", mf.system_call("id")))
    result = run(model_dir(tmp_path, {"m.pt": path.read_bytes()}))
    assert rules(result) == {"ai_model.archive.broken_zip", "ai_model.pickle.dangerous_import"}


def test_a_zip_bomb_in_a_checkpoint_stops_that_entry(tmp_path: Path) -> None:
    path = mf.zip_bomb_checkpoint(tmp_path / "bomb.pt", unpacked_mib=48)
    result = run(model_dir(tmp_path, {"bomb.pt": path.read_bytes()}))
    assert rules(result) == {"ai_model.format.unreadable"}
    assert "zip bomb" in result.findings[0].evidence


def test_an_uploaded_archive_of_models_is_unpacked_and_scanned(tmp_path: Path) -> None:
    archive = tmp_path / "models.zip"
    archive.write_bytes(mf.zipped({"m/evil.pkl": mf.system_call("id"), **DOCUMENTED}))
    result = scan(
        ScanJob("ai_model", "upload:models.zip", AiModelOptions()), ScanInputs(KEY, upload=archive)
    )
    assert rules(result) == {
        "ai_model.pickle.dangerous_import",
        "ai_model.documentation.no_model_card",
        "ai_model.documentation.no_licence",
    }


# -- data-only formats -----------------------------------------------------------------------


def test_safetensors_header_counts_parameters_and_names(tmp_path: Path) -> None:
    data = mf.safetensors(
        {"embed.weight": ("F32", [4, 3]), "bsn_embedding.weight": ("F16", [2])},
        {"author": "Jan Jansen", "contact": "jan.jansen@example.nl"},
    )
    result = run(model_dir(tmp_path, {"model.safetensors": data}))
    assert rules(result) == {"ai_model.names.personal_data", "pii.email", "pii.name"}
    row = json.loads(result.artefacts[0].data)["models"][0]
    assert row["parameters"] == 14 and row["framework"] == "safetensors"


@pytest.mark.parametrize(
    "data",
    [
        struct.pack("<Q", 2**60) + b"{}",  # absurd header length
        struct.pack("<Q", 40) + b'{"a": {"dtype": "F32"',  # truncated
        b"\x01\x00",  # no length at all
        mf.safetensors({"w": ("F32", [2])})[:-4],  # data shorter than the header says
        struct.pack("<Q", 200_003) + b"[" * 100_000 + b"]" * 100_000 + b"  ",  # nesting
    ],
)
def test_bad_safetensors_are_a_clear_unreadable_finding(tmp_path: Path, data: bytes) -> None:
    result = run(model_dir(tmp_path, {"m.safetensors": data}))
    assert rules(result) == {"ai_model.format.unreadable"}


def test_a_pickle_named_safetensors_is_a_mismatch_and_still_checked(tmp_path: Path) -> None:
    result = run(model_dir(tmp_path, {"model.safetensors": mf.system_call("id")}))
    assert rules(result) == {"ai_model.format.mismatch", "ai_model.pickle.dangerous_import"}


def test_gguf_metadata_and_a_chat_template_that_reaches_python(tmp_path: Path) -> None:
    evil = (
        "{% for m in messages %}{{ cycler.__init__.__globals__.os.popen('id').read() }}{% endfor %}"
    )
    good = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}"
    meta = {"general.architecture": "llama", "general.license": "mit"}
    files = {
        "evil.gguf": mf.gguf({**meta, "tokenizer.chat_template": evil}, {"tok.weight": [8, 4]}),
        "good.gguf": mf.gguf({**meta, "tokenizer.chat_template": good}, {"tok.weight": [8, 4]}),
    }
    result = run(model_dir(tmp_path, files))
    assert rules(result) == {"ai_model.gguf.template_code"}
    assert {f.location.path for f in result.findings} == {
        "evil.gguf!/metadata/tokenizer.chat_template"
    }
    rows = json.loads(result.artefacts[0].data)["models"]
    assert {r["architecture"] for r in rows} == {"llama"} and rows[0]["parameters"] == 32


def test_a_truncated_gguf_and_an_absurd_count_are_unreadable(tmp_path: Path) -> None:
    whole = mf.gguf({"general.architecture": "llama"}, {"w": [2]})
    files = {
        "cut.gguf": whole[:30],
        "huge.gguf": b"GGUF" + struct.pack("<IQQ", 3, 2**62, 2**62),
    }
    result = run(model_dir(tmp_path, files))
    assert rules(result) == {"ai_model.format.unreadable"} and len(result.findings) == 2


def test_a_numpy_object_array_is_walked_as_a_pickle(tmp_path: Path) -> None:
    files = {"x.npy": mf.npy_object_array(mf.system_call("id"))}
    result = run(model_dir(tmp_path, files))
    assert rules(result) == {"ai_model.numpy.object_array", "ai_model.pickle.dangerous_import"}
    npz = mf.zipped({"arr_0.npy": mf.npy_object_array(mf.benign_sklearn())})
    assert rules(run(model_dir(tmp_path / "z", {"x.npz": npz}))) == {"ai_model.numpy.object_array"}


def test_a_joblib_file_compressed_with_zlib_or_gzip_is_walked(tmp_path: Path) -> None:
    import gzip
    import zlib

    files = {
        "a.joblib": zlib.compress(mf.system_call("id")),
        "b.joblib": gzip.compress(mf.system_call("id")),
    }
    result = run(model_dir(tmp_path, files))
    assert rules(result) == {"ai_model.pickle.dangerous_import"} and len(result.findings) == 2


# -- Keras, ONNX, TensorFlow -----------------------------------------------------------------


def test_a_keras_h5_with_a_lambda_layer(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, {})
    mf.keras_lambda_h5(folder / "model.h5", with_code=True, layer_name="postcode_dense")
    mf.keras_lambda_h5(folder / "named.h5", with_code=False)
    result = run(folder)
    by_file = {(f.location.path.split("!")[0], f.rule_id) for f in result.findings}
    assert by_file == {
        ("model.h5", "ai_model.keras.lambda_code"),
        ("model.h5", "ai_model.names.personal_data"),
        ("named.h5", "ai_model.keras.lambda_layer"),
    }
    rows = {r["path"]: r for r in json.loads(result.artefacts[0].data)["models"]}
    assert rows["model.h5"]["parameters"] == 12 and rows["model.h5"]["framework"] == "keras"


def test_an_onnx_model_with_escaping_external_data_and_a_custom_domain(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, {})
    mf.onnx_model(folder / "ok.onnx", location="weights.bin")
    mf.onnx_model(folder / "bad.onnx", location="../../etc/passwd", domain="com.evil")
    mf.onnx_model(folder / "abs.onnx", location="/etc/shadow")
    result = run(folder)
    found = {(f.location.path.split("!")[0], f.rule_id) for f in result.findings}
    assert found == {
        ("ok.onnx", "ai_model.names.personal_data"),  # the input is named email_address
        ("bad.onnx", "ai_model.names.personal_data"),
        ("abs.onnx", "ai_model.names.personal_data"),
        ("bad.onnx", "ai_model.onnx.external_data_escape"),
        ("bad.onnx", "ai_model.onnx.custom_domain"),
        ("abs.onnx", "ai_model.onnx.external_data_escape"),
    }
    rows = {r["path"]: r for r in json.loads(result.artefacts[0].data)["models"]}
    assert rows["ok.onnx"]["opset"] == {"ai.onnx": 17} and rows["ok.onnx"]["parameters"] == 2


def test_a_file_that_is_not_onnx_is_unreadable(tmp_path: Path) -> None:
    result = run(model_dir(tmp_path, {"m.onnx": b"\xff" * 64}))
    assert rules(result) == {"ai_model.format.unreadable"}


def _pb_field(number: int, payload: bytes) -> bytes:
    def varint(n: int) -> bytes:
        out = b""
        while True:
            byte, n = n & 0x7F, n >> 7
            out += bytes([byte | (0x80 if n else 0)])
            if not n:
                return out

    return varint(number << 3 | 2) + varint(len(payload)) + payload


def test_a_saved_model_with_file_and_python_ops(tmp_path: Path) -> None:
    def node(name: str, op: str) -> bytes:
        return _pb_field(1, _pb_field(1, name.encode()) + _pb_field(2, op.encode()))

    graph = node("save/SaveV2", "SaveV2") + node("leak", "ReadFile") + node("py", "PyFunc")
    saved = _pb_field(2, _pb_field(2, graph))
    result = run(model_dir(tmp_path, {"saved_model.pb": saved}))
    assert rules(result) == {
        "ai_model.tensorflow.file_operation",
        "ai_model.tensorflow.python_call",
    }


# -- documentation, text, hostile input ------------------------------------------------------


def test_missing_model_card_and_licence(tmp_path: Path) -> None:
    result = run(model_dir(tmp_path, {"m.pkl": mf.benign_sklearn()}, documented=False))
    assert rules(result) == {
        "ai_model.documentation.no_model_card",
        "ai_model.documentation.no_licence",
    }


def test_personal_data_in_pickle_strings_goes_through_the_engine(tmp_path: Path) -> None:
    data = mf.PROTO + b"\x02" + mf.unicode("contact: piet.pietersen@example.nl") + b"."
    result = run(model_dir(tmp_path, {"m.pkl": data}))
    assert rules(result) == {"pii.email"}
    assert "piet.pietersen@example.nl" not in json.dumps([f.to_dict() for f in result.findings])


MALFORMED, UNREADABLE = "ai_model.pickle.malformed", "ai_model.format.unreadable"


@pytest.mark.parametrize(
    ("data", "expected", "why"),
    [
        (mf.system_call("id")[:-6], {"ai_model.pickle.dangerous_import", MALFORMED}, "truncated"),
        (mf.PROTO + b"\x02" + b"(" * 1_100_000 + b".", {MALFORMED}, "nesting bomb"),
        (mf.PROTO + b"\x02" + b"]" * 200_000 + b"a" * 199_999 + b".", set(), ""),
        (mf.PROTO + b"\x02" + b"\xff", {UNREADABLE}, "no model format"),
        (mf.PROTO + b"\x02N" + b"X" + struct.pack("<I", 2**31) + b"x", {MALFORMED}, "truncated"),
    ],
    ids=["truncated", "mark-bomb", "deep-lists", "bad-opcode", "absurd-length"],
)
def test_broken_pickles_end_with_a_clear_error(
    tmp_path: Path, data: bytes, expected: set[str], why: str
) -> None:
    result = run(model_dir(tmp_path, {"m.pkl": data}))
    assert rules(result) == expected
    assert all(why in f.evidence for f in result.findings if f.rule_id in (MALFORMED, UNREADABLE))


def test_the_walk_never_recurses_and_skips_large_blobs() -> None:
    import io

    blob = mf.PROTO + b"\x04" + b"\x8e" + struct.pack("<Q", 64 * 1024 * 1024)
    stream = io.BytesIO(blob + bytes(64 * 1024 * 1024) + b".")
    report = pickles.walk(stream)
    assert report.error is None and report.opcodes == 3


def test_a_sparse_5_gib_file_is_bounded_in_time_and_memory(tmp_path: Path) -> None:
    folder = model_dir(tmp_path, {})
    big = folder / "model.bin"
    with big.open("wb") as f:
        f.write(mf.torch_state_dict())
        f.truncate(5 * 1024**3)
    bogus = folder / "claims.safetensors"
    with bogus.open("wb") as f:
        f.write(struct.pack("<Q", 4 * 1024**3) + b"{")
        f.truncate(5 * 1024**3)
    result = run(folder)
    assert rules(result) == {"ai_model.format.unreadable"}  # the safetensors header is not JSON
    assert {f.location.path for f in result.findings} == {"claims.safetensors"}


def test_a_missing_target_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError):
        run(tmp_path / "nothing")


# -- the EU AI Act questionnaire -------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"practices": ["emotion_recognition_workplace_education"], "annex_iii_uses":
          ["emotion_recognition"]}, ["ai_model.ai_act.prohibited"]),
        ({"annex_iii_uses": ["employment_recruitment"], "profiling": True},
         ["ai_model.ai_act.high_risk"]),
        ({"annex_iii_uses": ["credit_scoring"], "role": "deployer"},
         ["ai_model.ai_act.high_risk"]),
        ({"interacts_with_people": True}, ["ai_model.ai_act.transparency"]),
        ({}, ["ai_model.ai_act.minimal_risk"]),
        ({"general_purpose_model": True, "training_compute_flop": 3e25,
          "generates_synthetic_content": True},
         ["ai_model.ai_act.systemic_risk", "ai_model.ai_act.transparency"]),
        ({"general_purpose_model": True, "training_compute_flop": 1e23},
         ["ai_model.ai_act.general_purpose"]),
        ({"annex_iii_uses": ["employment_recruitment"], "art_6_3_exception": "preparatory_task"},
         ["ai_model.ai_act.high_risk_exception"]),
        ({"annex_iii_uses": ["employment_recruitment"], "art_6_3_exception": "preparatory_task",
          "profiling": True}, ["ai_model.ai_act.high_risk"]),
    ],
    ids=["emotion-at-work", "cv-screening", "credit-scoring", "chatbot", "spam-filter",
         "gpai-systemic", "gpai", "art-6-3", "art-6-3-profiling"],
)  # fmt: skip
def test_worked_ai_act_cases(answers: dict[str, Any], expected: list[str]) -> None:
    assert [v.rule_id for v in aiact.classify(answers)] == expected


def test_ai_act_findings_name_article_answer_and_duties(tmp_path: Path) -> None:
    answers = {"language": "nl", "role": "deployer", "annex_iii_uses": ["credit_scoring"]}
    result = run(model_dir(tmp_path, {"m.safetensors": mf.safetensors({})}), answers)
    [finding] = [f for f in result.findings if f.category == "ai_act"]
    assert finding.extra["article"] == "6(2)" and finding.extra["annex_iii"] == "5(b)"
    assert finding.extra["answer"] == "annex_iii_uses"
    assert finding.extra["duties"] == ["art. 26", "art. 27"]
    assert "Hoog risico" in finding.description and "bijlage III punt 5(b)" in finding.description
    assert {str(r) for r in finding.legal_refs} >= {"AI Act art. 6", "AI Act art. 26"}


def test_bad_answers_are_refused_with_the_question(tmp_path: Path) -> None:
    with pytest.raises(ScanInputError, match="annex_iii_uses"):
        aiact.classify({"annex_iii_uses": ["astrology"]})
    with pytest.raises(ScanInputError, match="no question"):
        aiact.classify({"favourite_colour": "blue"})


def test_the_committed_schema_is_the_questions_and_accepts_the_worked_cases() -> None:
    import jsonschema

    committed = Path(aiact.__file__).parent / "data" / "ai_act_questionnaire.schema.json"
    schema = json.loads(committed.read_text())
    assert schema == aiact.schema()
    jsonschema.validate({"annex_iii_uses": ["credit_scoring"], "language": "nl"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"annex_iii_uses": ["astrology"]}, schema)


def test_the_command_line_scans_a_model_with_a_questionnaire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dgp.cli import main

    folder = model_dir(tmp_path, {"m.pkl": mf.system_call("id")})
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"interacts_with_people": True}))
    code = main(
        ["scan", "ai_model", str(folder), "--questionnaire", str(answers), "--format", "json",
         "--fail-on", "critical", "--artefacts", str(tmp_path / "out")]
    )  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["rule_id"] for f in report["findings"]} == {
        "ai_model.pickle.dangerous_import",
        "ai_model.ai_act.transparency",
    }
    assert (tmp_path / "out" / "model-inventory.json").is_file()
    assert main(["scan", "code", str(folder), "--questionnaire", str(answers)]) == 2


def test_a_keras_v3_zip_with_a_lambda_a_custom_object_and_a_file_op(tmp_path: Path) -> None:
    lambda_fn = {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}
    config = {
        "class_name": "Functional",
        "module": "keras.src.models.functional",
        "config": {
            "layers": [
                {"class_name": "Lambda", "module": "keras.layers",
                 "config": {"name": "l", "function": lambda_fn}},
                {"class_name": "Scorer", "module": "acme.layers",
                 "registered_name": "acme>Scorer", "config": {"name": "s"}},
                {"class_name": "TFOpLambda", "module": "keras.layers",
                 "config": {"name": "w", "function": "io.write_file"}},
            ]
        },
    }  # fmt: skip
    data = mf.zipped({"config.json": json.dumps(config).encode(), "metadata.json": b"{}"})
    result = run(model_dir(tmp_path, {"model.keras": data}))
    assert {(f.rule_id, f.location.path) for f in result.findings} == {
        ("ai_model.keras.lambda_code", "model.keras!/config.json/l"),
        ("ai_model.keras.custom_object", "model.keras!/config.json/s"),
        ("ai_model.keras.file_operation", "model.keras!/config.json/w"),
    }


def test_a_legacy_pytorch_file_of_consecutive_pickles(tmp_path: Path) -> None:
    magic = mf.PROTO + b"\x02\x8a\x0a" + bytes(10) + b"."
    legacy = magic + mf.torch_state_dict() + mf.system_call("id") + bytes(64)
    result = run(model_dir(tmp_path, {"model.pth": legacy}))
    assert {(f.rule_id, f.location.path) for f in result.findings} == {
        ("ai_model.pickle.dangerous_import", "model.pth!/pickle #3"),
    }


@pytest.mark.parametrize(
    ("data", "malicious"),
    [
        (mf.system_call("id"), True),
        (mf.memo_stack_global("id"), True),
        (mf.nested(mf.system_call("id")), True),
        (mf.benign_sklearn(), False),
        (mf.torch_state_dict(), False),
    ],
    ids=["os.system", "memo", "nested", "sklearn", "torch"],
)
def test_picklescan_a_peer_scanner_agrees(tmp_path: Path, data: bytes, malicious: bool) -> None:
    from picklescan import scanner  # the test extra: a peer scanner, never skipped

    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    theirs = scanner.scan_file_path(str(path))
    ours = "ai_model.pickle.dangerous_import" in rules(run(model_dir(tmp_path, {"m.pkl": data})))
    assert ours is malicious and bool(theirs.issues_count) is malicious


def test_text_next_to_a_model_is_scanned_within_max_text_bytes(tmp_path: Path) -> None:
    big = "x" * 2000 + "\ncontact: kees.klaassen@example.nl\n"
    files = {"config.json": '{"contact": "kees.klaassen@example.nl"}', "vocab.txt": big}
    result = run(model_dir(tmp_path, files), max_text_bytes=1000)
    assert {(f.rule_id, f.location.path) for f in result.findings} == {
        ("pii.email", "config.json"),
        ("scan.item_not_scanned", "vocab.txt"),
    }
