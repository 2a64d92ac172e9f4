"""Which globals a model pickle may import: an allowlist per framework, and the
callables that are known to be dangerous.

An allowlist, not a blocklist, decides: anything not on it is reported. The
dangerous list only raises what is reported to critical. Names are checked as
the unpickler resolves them: dotted names (protocol 4 resolves `Path.write_text`
attribute by attribute) are checked whole, a name part with dunders (`__globals__`,
`__builtins__`) is dangerous whatever the module, and whitespace the unpickler would
keep is never trimmed into a safe name.
"""

from __future__ import annotations

from enum import StrEnum

_TORCH_STORAGES = (
    "Float Double Half BFloat16 Long Int Short Char Byte Bool ComplexFloat ComplexDouble "
    "QInt8 QUInt8 QInt32 QUInt4x2 QUInt2x4"
).split()
_TORCH_DTYPES = (
    "float32 float64 float16 bfloat16 float8_e4m3fn float8_e5m2 int8 int16 int32 int64 "
    "uint8 uint16 uint32 uint64 bool complex64 complex128 qint8 quint8 qint32 half float "
    "double long int short"
).split()

# framework -> exact names of safe callables and classes
ALLOWED: dict[str, frozenset[str]] = {
    "python": frozenset(
        {
            *(
                f"builtins.{n}"
                for n in "set frozenset dict list tuple bytearray bytes complex "
                "slice range int float str bool object".split()
            ),
            "collections.OrderedDict",
            "collections.defaultdict",
            "collections.Counter",
            "collections.deque",
            "copyreg._reconstructor",
            "copyreg.__newobj__",
            "copyreg.__newobj_ex__",
            "_codecs.encode",
            "datetime.datetime",
            "datetime.date",
            "datetime.time",
            "datetime.timedelta",
            "datetime.timezone",
            "decimal.Decimal",
            "fractions.Fraction",
            "uuid.UUID",
            "pathlib.PosixPath",
            "pathlib.PurePosixPath",
            "pathlib.WindowsPath",
            "pathlib.PureWindowsPath",
        }
    ),
    "numpy": frozenset(
        {
            *(
                f"numpy.{m}.multiarray.{n}"
                for m in ("core", "_core")
                for n in ("_reconstruct", "scalar")
            ),
            "numpy.core.numeric._frombuffer",
            "numpy._core.numeric._frombuffer",
            "numpy.ndarray",
            "numpy.dtype",
            "numpy.ma.core._mareconstruct",
            "numpy.random._pickle.__randomstate_ctor",
            "numpy.random._pickle.__generator_ctor",
            "numpy.random._pickle.__bit_generator_ctor",
        }
    ),
    "pytorch": frozenset(
        {
            *(
                f"torch._utils.{n}"
                for n in (
                    "_rebuild_tensor",
                    "_rebuild_tensor_v2",
                    "_rebuild_tensor_v3",
                    "_rebuild_parameter",
                    "_rebuild_parameter_with_state",
                    "_rebuild_qtensor",
                    "_rebuild_sparse_tensor",
                    "_rebuild_nested_tensor",
                    "_rebuild_device_tensor_from_numpy",
                    "_rebuild_meta_tensor_no_storage",
                    "_rebuild_wrapper_subclass",
                )
            ),
            *(f"torch.{n}Storage" for n in _TORCH_STORAGES),
            *(f"torch.{n}" for n in _TORCH_DTYPES),
            "torch.storage.TypedStorage",
            "torch.storage.UntypedStorage",
            "torch.Size",
            "torch.device",
            "torch.strided",
            "torch.sparse_coo",
            "torch.per_tensor_affine",
            "torch.per_channel_affine",
            "torch.nn.parameter.Parameter",
            "torch._tensor._rebuild_from_type_v2",
            "torch.serialization._get_layout",
        }
    ),
    "joblib": frozenset(
        {
            "joblib.numpy_pickle.NumpyArrayWrapper",
            "joblib.numpy_pickle_compat.NDArrayWrapper",
        }
    ),
}
# frameworks whose classes (a capitalised name, no dots) are safe to rebuild: estimator
# and layer classes, whose construction runs no caller-chosen code
ALLOWED_CLASS_PACKAGES = {
    "scikit-learn": ("sklearn.",),
    "pytorch": ("torch.nn.modules.",),
    "numpy": ("numpy.dtypes.",),
    "xgboost": ("xgboost.",),
    "lightgbm": ("lightgbm.",),
    "transformers": ("transformers.",),
}
# modules whose every callable is dangerous in a pickle (commands, code, files, network,
# loaders of further pickles)
DANGEROUS_MODULES = frozenset(
    {
        "os", "posix", "nt", "subprocess", "_posixsubprocess", "runpy", "pty", "socket",
        "webbrowser", "shutil", "importlib", "pip", "code", "codeop", "commands", "ctypes",
        "multiprocessing", "sys", "asyncio", "marshal", "pickle", "_pickle", "cPickle",
        "dill", "cloudpickle", "shelve", "types", "operator", "pathlib", "glob", "io", "_io",
        "tempfile", "zipfile", "tarfile", "fileinput", "urllib", "urllib2", "http",
        "httplib", "ftplib", "telnetlib", "smtplib", "requests", "httpx", "pdb", "bdb",
        "timeit", "platform", "signal", "pydoc", "profile", "cProfile", "trace",
        "linecache", "imp", "zipimport",
    }
)  # fmt: skip
DANGEROUS_BUILTINS = frozenset(
    {
        "eval", "exec", "execfile", "compile", "getattr", "setattr", "delattr", "__import__",
        "open", "input", "breakpoint", "globals", "locals", "vars", "apply", "file",
        "reload", "memoryview", "help", "exit", "quit",
    }
)  # fmt: skip
DANGEROUS_CALLABLES = frozenset(
    {
        "torch.load",
        "torch.jit.load",
        "torch.serialization.load",
        "torch.storage._load_from_bytes",
        "torch.hub.load",
        "torch.hub.download_url_to_file",
        "torch._C._jit_pass_lower_all_tuples",
        "numpy.load",
        "numpy.lib.npyio.load",
        "numpy.testing._private.utils.runstring",
        "joblib.load",
        "keras.models.load_model",
        "tensorflow.io.read_file",
        "tensorflow.io.write_file",
        "functools.reduce",
        "functools.partial",
    }
)
_DANGEROUS_PACKAGES = ("torch.hub", "torch.utils.cpp_extension", "tensorflow.io", "IPython")


class Verdict(StrEnum):
    ALLOWED = "allowed"
    UNLISTED = "unlisted"
    DANGEROUS = "dangerous"


_ALL_ALLOWED = frozenset().union(*ALLOWED.values())


def verdict(module: str, name: str) -> Verdict:
    qualified = f"{module}.{name}"
    if qualified in _ALL_ALLOWED:
        return Verdict.ALLOWED
    if _dangerous(module.strip(), name.strip()):
        return Verdict.DANGEROUS
    if "." not in name and name[:1].isupper() and name.isidentifier():
        for prefixes in ALLOWED_CLASS_PACKAGES.values():
            if module.startswith(prefixes) and all(p.isidentifier() for p in module.split(".")):
                return Verdict.ALLOWED
    return Verdict.UNLISTED


def _dangerous(module: str, name: str) -> bool:
    parts = name.split(".")
    if any(p.startswith("__") and p.endswith("__") for p in parts):
        return True  # __globals__, __builtins__, __subclasses__: ways to anything
    top = module.split(".")[0]
    if top in DANGEROUS_MODULES or module in DANGEROUS_MODULES:
        return True
    if module in ("builtins", "__builtin__") and parts[0] in DANGEROUS_BUILTINS:
        return True
    qualified = f"{module}.{name}"
    if qualified in DANGEROUS_CALLABLES or f"{module}.{parts[0]}" in DANGEROUS_CALLABLES:
        return True
    return any(module == p or module.startswith(p + ".") for p in _DANGEROUS_PACKAGES)


def framework_of(module: str) -> str | None:
    """The framework a global belongs to ("pytorch" for torch._utils), if known."""
    top = module.split(".")[0]
    return {
        "torch": "pytorch",
        "numpy": "numpy",
        "sklearn": "scikit-learn",
        "joblib": "joblib",
        "xgboost": "xgboost",
        "lightgbm": "lightgbm",
        "transformers": "transformers",
        "keras": "keras",
        "tensorflow": "tensorflow",
    }.get(top)
