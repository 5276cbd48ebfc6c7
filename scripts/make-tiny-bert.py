#!/usr/bin/python3
"""Builds the tiny BERT test fixture in tests/fixtures/tiny-bert/ (Hugging Face layout).

A 2-layer BERT (hidden 32, 4 heads) with random seeded weights and a small WordPiece vocabulary
built from BANKING77 training text, exported to ONNX, with a real `tokenizer.json` (HF tokenizers
format), sentence-transformers pooling config (mean + Normalize) and `reference.json`: token ids
and pooled embeddings computed by PyTorch for a dozen sentences, one at a time (no padding), so the
lab's batched, padded inference is checked against an independent computation.

It needs only Debian's python3-torch and python3-onnx: the `transformers` package is not used (the
BERT module and the WordPiece tokenizer are written out here), so the fixture does not depend on it.

    /usr/bin/python3 scripts/make-tiny-bert.py [--data ../shared/datasets/banking77/train.csv] [--out tests/fixtures/tiny-bert]

CI never runs this script; it only reads the committed fixture.
"""
import argparse
import collections
import csv
import json
import math
import os
import unicodedata

import torch
from torch import nn

SEED = 16
HIDDEN = 32
LAYERS = 2
HEADS = 4
INTERMEDIATE = 64
MAX_POSITIONS = 64
MAX_SEQ_LENGTH = 32  # sentence-transformers truncation (shorter than the positions: truncation is tested)
WORDS = 700
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

REFERENCE_SENTENCES = [
    "I am still waiting on my card?",
    "What can I do if my card still hasn't arrived after 2 weeks?",
    "How do I top up my account with Apple Pay?",
    "my transfer failed!!",
    "Why was I charged a fee for the exchange rate?",
    "Can I change my PIN at an ATM in Zürich?",
    "The café refunded me, but where's the money?",
    "cancel",
    "Is there a limit on disposable virtual cards per month, and how long do they last before expiring?",
    "unrecognisedwordxyz qqq",
    "I lost my phone; please freeze my card (urgently) and send a new one to 221B Baker Street.",
    "what are the exchange rates for EUR, USD, GBP, CHF, JPY and the other currencies you support today please",
]


# --- BERT tokenizer (BertNormalizer + BertPreTokenizer + WordPiece), as HF tokenizers does it ---


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co")


def normalize(text):
    out = []
    for ch in text:
        if ch == "\0" or ch == "\ufffd" or is_control(ch):
            continue
        out.append(" " if ch.isspace() else ch)
    text = "".join(out).lower()
    text = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def pre_tokenize(text):
    words, current = [], []
    for ch in text:
        if ch.isspace():
            if current:
                words.append("".join(current))
                current = []
        elif is_punctuation(ch):
            if current:
                words.append("".join(current))
                current = []
            words.append(ch)
        else:
            current.append(ch)
    if current:
        words.append("".join(current))
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = piece
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab, max_length):
    tokens = [p for w in pre_tokenize(normalize(text)) for p in wordpiece(w, vocab)]
    ids = [vocab["[CLS]"]] + [vocab[t] for t in tokens][: max_length - 2] + [vocab["[SEP]"]]
    return ids


def build_vocab(data_file):
    counts = collections.Counter()
    with open(data_file, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for word in pre_tokenize(normalize(row["text"])):
                if word.isalpha() and len(word) > 1:
                    counts[word] += 1
    chars = [chr(c) for c in range(33, 127) if not ("A" <= chr(c) <= "Z")]
    tokens = list(SPECIALS) + chars + ["##" + c for c in chars if c.isalnum()]
    tokens += ["##s", "##ed", "##ing", "##er", "##ly", "##tion"]
    tokens += [w for w, _ in counts.most_common(WORDS)]
    seen, vocab = set(), {}
    for t in tokens:
        if t not in seen:
            seen.add(t)
            vocab[t] = len(vocab)
    return vocab


def tokenizer_json(vocab):
    special = {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in SPECIALS
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": special,
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


# --- BERT encoder in plain torch (the layout of transformers' BertModel, eval mode) ---


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN)
        self.attn_out, self.attn_norm = nn.Linear(HIDDEN, HIDDEN), nn.LayerNorm(HIDDEN, eps=1e-12)
        self.inter, self.out = nn.Linear(HIDDEN, INTERMEDIATE), nn.Linear(INTERMEDIATE, HIDDEN)
        self.out_norm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, h, bias):
        b, t, _ = h.shape
        d = HIDDEN // HEADS

        def split(x):
            return x.view(b, t, HEADS, d).transpose(1, 2)

        scores = split(self.q(h)) @ split(self.k(h)).transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (scores.softmax(-1) @ split(self.v(h))).transpose(1, 2).reshape(b, t, HIDDEN)
        h = self.attn_norm(h + self.attn_out(ctx))
        return self.out_norm(h + self.out(nn.functional.gelu(self.inter(h))))


class TinyBert(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.words = nn.Embedding(vocab_size, HIDDEN)
        self.positions = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.types = nn.Embedding(2, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])

    def forward(self, input_ids, attention_mask, token_type_ids):
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        h = self.norm(self.words(input_ids) + self.positions(positions) + self.types(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].to(h.dtype)) * -10000.0
        for layer in self.layers:
            h = layer(h, bias)
        return h


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(root, "..", "..", "shared", "datasets", "banking77", "train.csv"))
    parser.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "tiny-bert"))
    args = parser.parse_args()
    if not os.path.exists(args.data):
        args.data = "/work/shared/datasets/banking77/train.csv"

    torch.manual_seed(SEED)
    vocab = build_vocab(args.data)
    model = TinyBert(len(vocab))
    with torch.no_grad():  # wider than BERT's 0.02 init so that random sentences differ visibly
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 0.3)
    model.eval()

    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "1_Pooling"), exist_ok=True)

    def write(name, obj):
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1, ensure_ascii=False)
            f.write("\n")

    write("config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": len(vocab), "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE,
        "hidden_act": "gelu", "max_position_embeddings": MAX_POSITIONS, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "pad_token_id": 0,
    })
    write("tokenizer.json", tokenizer_json(vocab))
    write("tokenizer_config.json", {
        "tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": MAX_POSITIONS,
        "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
        "mask_token": "[MASK]",
    })
    write("sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    write("modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    write("1_Pooling/config.json", {
        "word_embedding_dimension": HIDDEN, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
    })

    dummy = torch.tensor([[2, 10, 11, 3]])
    torch.onnx.export(
        model, (dummy, torch.ones_like(dummy), torch.zeros_like(dummy)), os.path.join(args.out, "onnx", "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids"]}
        | {"last_hidden_state": {0: "batch", 1: "sequence"}},
        opset_version=14,
    )

    rows = []
    with torch.no_grad():
        for sentence in REFERENCE_SENTENCES:
            ids = encode(sentence, vocab, MAX_SEQ_LENGTH)
            x = torch.tensor([ids])
            h = model(x, torch.ones_like(x), torch.zeros_like(x))[0]
            mean = h.mean(0)
            rows.append({
                "text": sentence,
                "input_ids": ids,
                "mean_normalized": (mean / mean.norm()).tolist(),
                "mean": mean.tolist(),
                "cls": h[0].tolist(),
                "max": h.max(0).values.tolist(),
            })
    write("reference.json", {"max_seq_length": MAX_SEQ_LENGTH, "sentences": rows})
    print(f"wrote {args.out}: vocab {len(vocab)}, hidden {HIDDEN}, layers {LAYERS}")


if __name__ == "__main__":
    main()
