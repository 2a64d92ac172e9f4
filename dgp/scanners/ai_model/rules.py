"""The AI model scanner's own rules (SPEC 3.3): `ai_model.<area>.<what>`."""

from dgp.domain.severity import Severity
from dgp.engine import legal
from dgp.engine.legal import ai_act
from dgp.engine.rules import RULES, define

_S = Severity
_NEVER_LOAD = (
    "Do not load the file. Get the model in a format that holds only data (safetensors, "
    "ONNX without custom operators, GGUF) from a source you trust, or rebuild it."
)


def _category(rule_id: str) -> str:
    area = rule_id.split(".")[1]
    if area == "ai_act":
        return "ai_act"
    if area == "names":
        return "pii"
    if area == "documentation" or rule_id == "ai_model.format.unreadable":
        return "governance"
    return "security"


for _id, _sev, _title, _desc, _refs, _fix in (
    # -- pickles (pickle, joblib, PyTorch, NumPy object arrays) ---------------------------
    (
        "ai_model.pickle.dangerous_import",
        _S.CRITICAL,
        "Model runs code when loaded",
        "The pickle imports a callable that runs commands or code, reads or writes files, "
        "opens connections or loads further pickles (os.system, subprocess, builtins.eval, "
        "torch.load ...). Loading the model runs it with the loader's rights, with access "
        "to every piece of personal data that process can reach.",
        legal.AI_MODEL_SECURITY,
        _NEVER_LOAD,
    ),
    (
        "ai_model.pickle.unlisted_import",
        _S.MEDIUM,
        "Model imports a callable outside the allowlist",
        "The pickle imports a class or function that is not on the allowlist of the "
        "framework's safe rebuild helpers; loading it calls that code.",
        legal.AI_MODEL_SECURITY,
        "Check what the import does before loading the model; prefer a data-only format "
        "(safetensors) or a loader that refuses unknown globals (torch.load weights_only).",
    ),
    (
        "ai_model.pickle.dynamic_import",
        _S.HIGH,
        "Model imports a callable chosen at load time",
        "The pickle imports through STACK_GLOBAL with names that are not constants, or "
        "through the copyreg extension registry: what it imports cannot be checked "
        "without running it. Published payloads use this to hide.",
        legal.AI_MODEL_SECURITY,
        _NEVER_LOAD,
    ),
    (
        "ai_model.pickle.nested",
        _S.MEDIUM,
        "Pickle inside the pickle",
        "The pickle carries bytes that are themselves a pickle; a loader that unpickles "
        "them runs what they import (their imports are reported too).",
        legal.AI_MODEL_SECURITY,
        "Find out why the model carries a pickle; keep only plain tensors.",
    ),
    (
        "ai_model.pickle.malformed",
        _S.MEDIUM,
        "Pickle broken off or malformed",
        "The opcode stream could not be read to its end. What came before was checked "
        "and is reported; a loader could still run those parts.",
        legal.AI_MODEL_SECURITY,
        "Get an intact copy from the source and scan it again; do not load this one.",
    ),
    (
        "ai_model.numpy.object_array",
        _S.MEDIUM,
        "NumPy array of Python objects",
        "The array holds pickled Python objects: numpy.load with allow_pickle=True "
        "unpickles them, which runs what they import.",
        legal.AI_MODEL_SECURITY,
        "Save numeric arrays only (no dtype=object); never load with allow_pickle=True "
        "from an untrusted source.",
    ),
    # -- containers and formats ------------------------------------------------------------
    (
        "ai_model.archive.broken_zip",
        _S.HIGH,
        "Model archive with a broken zip directory",
        "The zip's central directory is missing or corrupt, so tools that trust it see "
        "other files than a loader that reads the local headers. The entries were read "
        "from their local headers.",
        legal.AI_MODEL_SECURITY,
        "Do not load the file; get an intact copy from the source.",
    ),
    (
        "ai_model.archive.hidden_pickle",
        _S.HIGH,
        "Pickle hidden in an archive entry",
        "An archive entry is a pickle although its name does not say so (not data.pkl, "
        "no .pkl extension): a way to slip code past scanners that look at names.",
        legal.AI_MODEL_SECURITY,
        _NEVER_LOAD,
    ),
    (
        "ai_model.format.mismatch",
        _S.HIGH,
        "Model file is not the format its name claims",
        "The file's extension names one format and its content is another (a pickle "
        "named .safetensors): loaders and reviewers are misled about what loading does.",
        legal.AI_MODEL_SECURITY,
        "Do not load the file; find out why it is disguised.",
    ),
    (
        "ai_model.format.unreadable",
        _S.INFO,
        "Model file could not be read",
        "The file is truncated, corrupt or claims sizes it does not have, so it was "
        "not (fully) checked.",
        (),
        "Get an intact copy from the source and scan it again.",
    ),
    # -- Keras and TensorFlow ---------------------------------------------------------------
    (
        "ai_model.keras.lambda_code",
        _S.CRITICAL,
        "Keras Lambda layer with embedded Python code",
        "A Lambda layer carries marshalled Python bytecode: loading the model with "
        "safe_mode off (or an old Keras) runs it.",
        legal.AI_MODEL_SECURITY,
        "Replace the Lambda layer by a registered custom layer whose code you reviewed; "
        "never load with safe_mode=False.",
    ),
    (
        "ai_model.keras.lambda_layer",
        _S.HIGH,
        "Keras Lambda layer",
        "A Lambda layer calls a Python function by name when the model runs.",
        legal.AI_MODEL_SECURITY,
        "Check the function it names; prefer built-in layers.",
    ),
    (
        "ai_model.keras.custom_object",
        _S.MEDIUM,
        "Keras custom object",
        "The model names a layer, loss or other object that is not Keras' own: loading it "
        "imports and runs that code.",
        legal.AI_MODEL_SECURITY,
        "Review the custom object's code before loading; load with safe_mode on.",
    ),
    (
        "ai_model.keras.file_operation",
        _S.HIGH,
        "Keras layer that reads or writes files",
        "A TFOpLambda layer calls a TensorFlow operation that reads, writes or lists "
        "files when the model runs.",
        legal.AI_MODEL_SECURITY,
        "Remove the operation; a model has no reason to touch the file system.",
    ),
    (
        "ai_model.tensorflow.file_operation",
        _S.HIGH,
        "TensorFlow graph reads or writes files",
        "The SavedModel's graph holds operations that read, write or list files "
        "(ReadFile, WriteFile, MatchingFiles ...), beyond restoring its own variables.",
        legal.AI_MODEL_SECURITY,
        "Remove the operations, or run the model where it can reach no personal data.",
    ),
    (
        "ai_model.tensorflow.python_call",
        _S.CRITICAL,
        "TensorFlow graph calls Python",
        "The SavedModel's graph holds PyFunc operations: running it calls Python code.",
        legal.AI_MODEL_SECURITY,
        _NEVER_LOAD,
    ),
    # -- ONNX -----------------------------------------------------------------------------
    (
        "ai_model.onnx.external_data_escape",
        _S.HIGH,
        "ONNX external data outside the model's folder",
        "A tensor's external data path is absolute or climbs out of the model's folder "
        "('..'): loading the model reads that file (and can send it on as output).",
        legal.AI_MODEL_SECURITY,
        "Keep external data next to the model with relative paths inside its folder.",
    ),
    (
        "ai_model.onnx.custom_domain",
        _S.MEDIUM,
        "ONNX custom operator domain",
        "The model uses operators outside the standard ONNX domains: they need a native "
        "custom-operator library, code that runs with the runtime's rights.",
        legal.AI_MODEL_SECURITY,
        "Review the custom-operator library before loading the model.",
    ),
    # -- GGUF -----------------------------------------------------------------------------
    (
        "ai_model.gguf.template_code",
        _S.CRITICAL,
        "Chat template reaches into Python",
        "The GGUF chat template (Jinja) reaches attributes or objects a template never "
        "needs (__class__, __globals__, __subclasses__, os ...): a template-injection "
        "payload that runs code where the template is rendered.",
        legal.AI_MODEL_SECURITY,
        "Do not render the template; replace it by the model family's published one, "
        "and render templates only in a sandboxed Jinja environment.",
    ),
    # -- content ----------------------------------------------------------------------------
    (
        "ai_model.names.personal_data",
        _S.MEDIUM,
        "Model layer or feature named after personal data",
        "A layer, tensor, feature or metadata key is named after personal data (bsn, "
        "email, geboortedatum, postcode ...): the model was likely trained on it.",
        legal.AI_TRAINING_DATA,
        "Document the personal data the model was trained on, its legal basis and why "
        "it is needed; drop features that are not.",
    ),
    # -- documentation ------------------------------------------------------------------
    (
        "ai_model.documentation.no_model_card",
        _S.LOW,
        "No model card next to the model",
        "No model card (README.md, MODEL_CARD.md) was found next to the model: its "
        "intended use, training data and limits are not documented.",
        legal.AI_DOCUMENTATION,
        "Add a model card: intended use, training data (and personal data in it), "
        "evaluation, limits.",
    ),
    (
        "ai_model.documentation.no_licence",
        _S.LOW,
        "No licence next to the model",
        "No licence file or licence field in the model card was found: the terms of use "
        "of the model are unknown.",
        (ai_act("53(1)(c)"),),
        "Record the model's licence (a LICENSE file or the model card's license field).",
    ),
    # -- EU AI Act questionnaire ---------------------------------------------------------
    (
        "ai_model.ai_act.prohibited",
        _S.CRITICAL,
        "Prohibited AI practice (AI Act art. 5)",
        "The answers describe an AI practice that art. 5 prohibits.",
        (ai_act("5"), ai_act("99(3)")),
        "Stop placing on the market, putting into service or using the system for this purpose.",
    ),
    (
        "ai_model.ai_act.high_risk",
        _S.HIGH,
        "High-risk AI system (AI Act art. 6)",
        "The answers make the system high-risk under art. 6: the duties of art. 9-15 "
        "(provider) and art. 26-27 (deployer) apply.",
        (ai_act("6"), ai_act("9"), ai_act("26"), ai_act("27")),
        "Set up risk management, data governance, technical documentation, logging, "
        "transparency, human oversight and robustness (art. 9-15), conformity assessment "
        "and registration (art. 43, 49); as deployer art. 26 and 27.",
    ),
    (
        "ai_model.ai_act.high_risk_exception",
        _S.LOW,
        "Annex III system not high-risk (AI Act art. 6(3))",
        "The system is in an annex III area but an art. 6(3) exception applies.",
        (ai_act("6(3)"), ai_act("6(4)"), ai_act("49(2)")),
        "Document the assessment before placing the system on the market (art. 6(4)) and "
        "register it (art. 49(2)).",
    ),
    (
        "ai_model.ai_act.general_purpose",
        _S.MEDIUM,
        "General-purpose AI model (AI Act art. 53)",
        "The answers describe a general-purpose AI model: the duties of art. 53 apply.",
        (ai_act("53"),),
        "Keep technical documentation (annex XI) and information for downstream "
        "providers (annex XII), a copyright policy, and a public training-content summary.",
    ),
    (
        "ai_model.ai_act.systemic_risk",
        _S.HIGH,
        "General-purpose AI model with systemic risk (AI Act art. 51, 55)",
        "The answers describe a general-purpose AI model with systemic risk: the duties "
        "of art. 55 apply on top of art. 53.",
        (ai_act("51"), ai_act("52"), ai_act("55")),
        "Notify the Commission (art. 52), evaluate and red-team the model, assess and "
        "mitigate systemic risks, report serious incidents, ensure cybersecurity (art. 55).",
    ),
    (
        "ai_model.ai_act.transparency",
        _S.MEDIUM,
        "Transparency duty (AI Act art. 50)",
        "The answers trigger a transparency duty of art. 50.",
        (ai_act("50"),),
        "Tell people they deal with an AI system or AI-made content, as art. 50 requires.",
    ),
    (
        "ai_model.ai_act.minimal_risk",
        _S.INFO,
        "Minimal-risk AI system",
        "No prohibited practice, high-risk area, general-purpose model or transparency "
        "duty follows from the answers.",
        (ai_act("4"), ai_act("95")),
        "Ensure AI literacy of staff (art. 4); voluntary codes of conduct (art. 95).",
    ),
):
    define(_id, _category(_id), _sev, _title, _desc, _refs, _fix)

# the rules this kind defines (its spec lists them)
RULE_IDS = tuple(rule_id for rule_id in RULES if rule_id.startswith("ai_model."))
