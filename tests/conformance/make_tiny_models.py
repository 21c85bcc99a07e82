#!/usr/bin/env python3
"""Builds the tiny random models the conformance tests serve. Nothing is downloaded.

  make_tiny_models.py OUT_DIR

writes
  OUT_DIR/hf/     a Llama-shaped Hugging Face model (2 layers, hidden size 128, random
                  weights, float32) with a byte-level BPE tokenizer trained here by
                  `tokenizers` on a few KB of text, and a ChatML chat template: for vLLM.
  OUT_DIR/tiny.gguf  the same weights and tokenizer as a GGUF file written with the
                  `gguf` package: for llama.cpp's server.

The weights are random, so the text is gibberish; what the tests check is the
protocol (shapes, usage, streaming, errors), not the words.
"""
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] }}"
    "{% if not (loop.last and message['role'] == 'assistant' and not add_generation_prompt) %}{{ '<|im_end|>\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
VOCAB_SIZE = 512
HIDDEN = 128
HEADS = 2  # head_dim 64: a size every vLLM CPU attention backend takes
KV_HEADS = 1
LAYERS = 2
INTERMEDIATE = 256
CONTEXT = 2048


def corpus() -> list[str]:
    """A few KB of plain English (and a little code), made up here."""
    words = (
        "the gateway sends each request to a healthy engine with room and keeps a fair queue "
        "for every tenant so that one burst never starves another tenant of its share "
        "tokens stream back one by one as server sent events and the usage is counted at the end "
        "a model is hot when it is loaded and awake warm when it sleeps and cold on disk "
        "hello world how are you today I am fine thank you and you "
        "one two three four five six seven eight nine ten eleven twelve "
        "def main(): return 0 if x > 1 else -1 # comment; {json: [1, 2, 3]} "
    ).split()
    lines = []
    for i in range(300):
        lines.append(" ".join(words[(i * 7 + j * 3) % len(words)] for j in range(12)) + ".")
    return lines


def build_tokenizer(out: Path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)
    return fast


def build_model(out: Path, tokenizer):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    vocab = len(tokenizer)
    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        max_position_embeddings=CONTEXT,
        rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        torch_dtype="float32",
    )
    model = LlamaForCausalLM(config).to(torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    # vLLM reads the generation config for its default sampling parameters.
    (out / "generation_config.json").write_text(json.dumps({
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }))
    return model, config


def permute_for_gguf(w, n_head: int):
    """llama.cpp's rotary layout: what convert_hf_to_gguf.py does to q and k."""
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def write_gguf(path: Path, model, config, tokenizer):
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("sluice-tiny-random")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(HIDDEN)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(INTERMEDIATE)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    w.add_rope_freq_base(float(config.rope_parameters["rope_theta"]) if getattr(config, "rope_parameters", None)
                         else float(getattr(config, "rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(config.rms_norm_eps)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)

    vocab = tokenizer.get_vocab()
    tokens = [None] * len(vocab)
    for text, idx in vocab.items():
        tokens[idx] = text
    special_ids = {tokenizer.convert_tokens_to_ids(s) for s in SPECIALS}
    types = [gguf.TokenType.CONTROL if i in special_ids else gguf.TokenType.NORMAL for i in range(len(tokens))]
    merges = json.loads(tokenizer.backend_tokenizer.to_str())["model"]["merges"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokenizer.bos_token_id)
    w.add_eos_token_id(tokenizer.eos_token_id)
    w.add_pad_token_id(tokenizer.pad_token_id)
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    names = {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }
    per_layer = {
        "input_layernorm.weight": "attn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight",
        "self_attn.k_proj.weight": "attn_k.weight",
        "self_attn.v_proj.weight": "attn_v.weight",
        "self_attn.o_proj.weight": "attn_output.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    for name, tensor in model.state_dict().items():
        data = tensor.detach().float().numpy()
        if name in names:
            target = names[name]
        else:
            parts = name.split(".")  # model.layers.N.<rest>
            rest = ".".join(parts[3:])
            target = f"blk.{parts[2]}.{per_layer[rest]}"
            if rest == "self_attn.q_proj.weight":
                data = permute_for_gguf(data, HEADS)
            elif rest == "self_attn.k_proj.weight":
                data = permute_for_gguf(data, KV_HEADS)
        w.add_tensor(target, np.ascontiguousarray(data, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    hf = out / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(hf)
    model, config = build_model(hf, tokenizer)
    write_gguf(out / "tiny.gguf", model, config, tokenizer)
    print(f"wrote {hf} ({len(tokenizer)} tokens) and {out / 'tiny.gguf'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
