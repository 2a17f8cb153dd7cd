#!/usr/bin/env python3
"""Builds tiny random-weight Hugging Face models and their reference outputs
for testdata/golden (see testdata/golden/README.md).

Needs torch, transformers, safetensors and numpy (the GPU machine has them;
everything runs on CPU in float64). Deterministic for a given transformers
version: fixed seeds for the weights and the prompts.

  python3 scripts/gen_hf_golden.py --out OUTDIR [--models llama3-tiny,qwen3-tiny]
                                   [--dtype float32|bfloat16]

writes OUTDIR/NAME/hf/{config.json, generation_config.json, model.safetensors,
tokenizer.json, tokenizer_config.json}, OUTDIR/NAME/golden.safetensors and
OUTDIR/NAME/golden.json. The tokenizer is llama2-tiny's (vocab 32000), so both
models keep vocab_size 32000 and tied embeddings to stay small.
"""
import argparse
import json
import os
import shutil

import numpy as np
import torch
import transformers
from safetensors.numpy import save_file

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER_DIR = os.path.join(REPO, "testdata", "golden", "llama2-tiny", "hf")
LENGTHS = (1, 7, 64, 300)
TAIL = 4
GREEDY = 16
TF_MAJOR = int(transformers.__version__.split(".")[0])


def rope_kwargs(theta, scaling=None):
    """RoPE settings in the spelling this transformers version takes."""
    if TF_MAJOR >= 5:
        params = {"rope_type": "default", "rope_theta": float(theta)}
        if scaling:
            params.update(scaling)
        return {"rope_parameters": params}
    kw = {"rope_theta": float(theta)}
    if scaling:
        kw["rope_scaling"] = dict(scaling)
    return kw


def llama3_tiny():
    cfg = transformers.LlamaConfig(
        vocab_size=32000, hidden_size=64, intermediate_size=176,
        num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
        head_dim=16, rms_norm_eps=1e-5, max_position_embeddings=512,
        initializer_range=0.08, tie_word_embeddings=True,
        bos_token_id=1, eos_token_id=2,
        **rope_kwargs(500000.0, {
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 64}))
    return transformers.LlamaForCausalLM, cfg


def qwen3_tiny():
    cfg = transformers.Qwen3Config(
        vocab_size=32000, hidden_size=64, intermediate_size=128,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=24, rms_norm_eps=1e-6, max_position_embeddings=512,
        initializer_range=0.08, tie_word_embeddings=True,
        use_sliding_window=False, attention_bias=False,
        bos_token_id=1, eos_token_id=2,
        **rope_kwargs(1000000.0))
    return transformers.Qwen3ForCausalLM, cfg


MODELS = {"llama3-tiny": llama3_tiny, "qwen3-tiny": qwen3_tiny}


def build(name, dtype, seed):
    cls, cfg = MODELS[name]()
    cfg._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = cls(cfg).to(torch.float32).eval()
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname:  # input/post-attention/final norms, q_norm/k_norm
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
        # Round to the stored dtype so the reference uses exactly what is saved.
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))
    return model


@torch.no_grad()
def logits_of(model, ids):
    return model(torch.tensor([ids], dtype=torch.long), use_cache=False).logits[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    dtype = getattr(torch, args.dtype)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    for i, name in enumerate(args.models.split(",")):
        out = os.path.join(args.out, name)
        hf = os.path.join(out, "hf")
        os.makedirs(hf, exist_ok=True)
        model = build(name, dtype, args.seed + i)
        model.to(dtype).save_pretrained(hf, safe_serialization=True)
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(TOKENIZER_DIR, f), os.path.join(hf, f))
        model.to(torch.float64)
        vocab = model.config.vocab_size

        rng = np.random.default_rng(args.seed + 100 + i)
        tensors, summary = {}, {}
        for n in LENGTHS:
            ids = [int(x) for x in rng.integers(3, vocab, size=n)]
            lg = logits_of(model, ids)
            argmax_all = lg.argmax(-1)
            seq, greedy = list(ids), []
            nxt = int(argmax_all[-1])
            for _ in range(GREEDY):
                greedy.append(nxt)
                seq.append(nxt)
                nxt = int(logits_of(model, seq)[-1].argmax())
            k = min(TAIL, n)
            key = "len%d" % n
            tensors[key + ".input_ids"] = np.asarray(ids, dtype=np.int32)
            tensors[key + ".logits_tail"] = lg[-k:].numpy().astype(np.float32)
            tensors[key + ".argmax_all"] = argmax_all.numpy().astype(np.int32)
            tensors[key + ".greedy16"] = np.asarray(greedy, dtype=np.int32)
            summary[key] = {"T": n, "argmax_last": int(argmax_all[-1]), "greedy16": greedy}
            print(name, key, "argmax_last", int(argmax_all[-1]), "greedy16", greedy, flush=True)
        save_file(tensors, os.path.join(out, "golden.safetensors"))
        with open(os.path.join(out, "golden.json"), "w") as f:
            json.dump({"model": name,
                       "reference": "transformers %s float64" % transformers.__version__,
                       "weights": args.dtype, "seqs": summary}, f, indent=1)
        print(name, "written to", out, flush=True)


if __name__ == "__main__":
    main()
