"""Turn a sentence-transformers model folder into one ONNX file, checked against torch.

Run as a child process (``python -m index.onnx_export MODEL_DIR OUT``) by
``index.onnx_embedder``, once per model and cached: the export needs torch and
transformers (~500 MiB resident), and the process that embeds should never hold them.
The transformer alone is exported (token ids in, hidden states out); pooling and
normalising are a few NumPy lines in the embedder. Before the file is published (written
beside ``OUT`` and renamed, so a reader never sees half of it), ONNX Runtime runs it on
texts of several lengths and its hidden states must match torch's; exit status 0 means
``OUT`` is there and verified, anything else leaves nothing at ``OUT``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

# Short, long (past the 256-piece truncation), accented and empty: the shapes the archive has.
CHECK_TEXTS = (
    "warm up",
    "The waves broke on the harbour wall and I walked home in the rain.",
    "Café au lait, naïve résumé: ein schöner Tag am Meer. " * 3,
    "I kept a diary that year. " * 120,
    "",
)
# float32 through a different kernel library: differences of ~1e-6 are rounding, 1e-3 a bug.
TOLERANCE = 1e-3
OPSET = 17
# The inputs a BERT-style model takes; MPNet and RoBERTa-style tokenizers give no
# token_type_ids, and the export takes only those the model's own tokenizer gives.
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export(model_dir: Path, out: Path, max_length: int) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    # Eager attention traces into the pattern ONNX Runtime fuses into one Attention kernel:
    # 26.6 against 22.9 chunks/s for the SDPA trace here, the same vectors.
    model = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)

    batch = tokenizer(
        list(CHECK_TEXTS),
        padding=True,
        truncation=True,
        max_length=max_length,
        return_tensors="pt",
    )
    inputs = tuple(name for name in INPUTS if name in batch)

    class HiddenStates(torch.nn.Module):
        """Keyword arguments by name: transformers 5 changed BertModel's positional order."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *tensors: Any) -> Any:
            return self.inner(**dict(zip(inputs, tensors, strict=True))).last_hidden_state

    wrapped = HiddenStates(model)
    feeds = {name: batch[name] for name in inputs}
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*inputs, "hidden")}
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        with torch.inference_mode():
            expected = wrapped(*feeds.values()).numpy()
            # The TorchScript exporter: one self-contained file, and no onnxscript needed.
            torch.onnx.export(
                wrapped,
                tuple(feeds.values()),
                str(temp),
                input_names=list(inputs),
                output_names=["hidden"],
                dynamic_axes=dynamic,
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )
        got = _run_onnx(temp, {name: tensor.numpy() for name, tensor in feeds.items()})
        difference = float(np.abs(got - expected).max())
        if difference > TOLERANCE:
            raise SystemExit(f"the exported model differs from torch by {difference:.2g}")
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)


def _run_onnx(path: Path, feeds: dict[str, Any]) -> Any:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {name: value.astype(np.int64) for name, value in feeds.items()})[0]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m index.onnx_export MODEL_DIR OUT MAX_LENGTH", file=sys.stderr)
        return 2
    export(Path(argv[0]), Path(argv[1]), int(argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
