#!/usr/bin/env python3
# A plain reference of Hugging Face tokenizers' BPE for SentencePiece-style
# tokenizer.json files (byte_fallback, normalizer Prepend "▁" + Replace
# " " -> "▁"), following the tokenizers library's algorithm (Word::merge_all:
# repeatedly merge the adjacent pair of lowest merge rank, leftmost first).
# Writes one line of ids per text of a llama.cpp .inp file, as its .out.
# Usage: hf_bpe_reference.py tokenizer.json texts.inp > ids.out
# Made testdata/golden/llama2-tiny/hf/vocab-test.out from
# testdata/vocab/ggml-vocab-llama-spm.gguf.inp.
import json, heapq, sys
tj = json.load(open(sys.argv[1]))
m = tj['model']; vocab = m['vocab']
merges = {}
for r, x in enumerate(m['merges']):
    a, b = x.split(' ') if isinstance(x, str) else x
    merges[(vocab[a], vocab[b])] = (r, vocab[a + b])
inv = {i: p for p, i in vocab.items()}
def encode(text):
    if not text: return []
    s = '\u2581' + text.replace(' ', '\u2581')
    syms = []
    for ch in s:
        if ch in vocab: syms.append(vocab[ch])
        else: syms += [vocab['<0x%02X>' % b] for b in ch.encode('utf-8')]
    while True:
        best = None
        for i in range(len(syms) - 1):
            mm = merges.get((syms[i], syms[i + 1]))
            if mm and (best is None or mm[0] < best[0]): best = (mm[0], i, mm[1])
        if best is None: break
        _, i, nid = best
        syms[i:i + 2] = [nid]
    return syms
texts = open(sys.argv[2], encoding='utf-8').read().split('\n__ggml_vocab_test__\n')
if texts and texts[-1] == '': texts = texts[:-1]
for t in texts: print(' '.join(map(str, encode(t))))
