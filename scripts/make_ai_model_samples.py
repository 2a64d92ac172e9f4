"""Write samples/ai_model: small model files made from their documented formats by the
builders in tests/modelfixtures.py (no model downloaded, none ever loaded).

The "suspicious" pickle's payload is builtins.eval("0"): harmless if someone loaded
it anyway, and exactly what the scanner must report as critical.
Run from the repository root: PYTHONPATH=. python scripts/make_ai_model_samples.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests import modelfixtures as mf

ROOT = Path(__file__).resolve().parents[1] / "samples" / "ai_model"
CARD = """# {name}

Sample model for DataGuardian Pro's AI model scanner (invented, not a real model).

license: apache-2.0

Contact: {contact}
"""
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}"
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
)


def main() -> None:
    shutil.rmtree(ROOT, ignore_errors=True)
    files: dict[str, bytes | str] = {
        "classifier/model.joblib": mf.benign_sklearn(),
        "classifier/README.md": CARD.format(name="Churn classifier", contact="team ML"),
        "suspicious/model.pkl": mf.PROTO + b"\x02" + mf.global_("builtins", "eval")
        + mf.unicode("0") + b"\x85R.",
        "embeddings/model.safetensors": mf.safetensors(
            {"bsn_embedding.weight": ("F32", [4, 2]), "postcode_bucket.bias": ("F32", [2])},
            {"author": "Jan de Vries", "contact": "jan.devries@voorbeeld.nl"},
        ),
        "chat/model.gguf": mf.gguf(
            {"general.architecture": "llama", "general.license": "mit",
             "tokenizer.chat_template": TEMPLATE},
            {"token_embd.weight": [16, 8]},
        ),
        "checkpoint/pytorch_model.bin": b"",
        "ai-act-questionnaire.json": json.dumps(
            {"system_name": "CV screening", "role": "deployer",
             "annex_iii_uses": ["employment_recruitment"], "profiling": True}, indent=2
        ) + "\n",
    }  # fmt: skip
    for name, data in files.items():
        path = ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".bin"):
            mf.torch_zip(path, mf.torch_state_dict(("email_encoder.weight",)))
        else:
            path.write_bytes(data.encode() if isinstance(data, str) else data)
    print(f"wrote {len(files)} files under {ROOT}")


if __name__ == "__main__":
    main()
