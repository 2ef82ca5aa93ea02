"""The GPT of Sources/Training (GPT.swift, GPT+Forward.swift) in PyTorch. Notation: B batch, T time,
C channels (d_model), V vocabulary, NH heads, d = C / NH.

Per block (pre-norm):  x += proj(attention(norm1(x)));  x += fc2(gelu_tanh(fc(norm2(x))))
then logits = norm_f(x) @ head^T (head = the token embedding when tied) and the mean cross-entropy.
Tensor names, shapes and order are the built-in trainer's ParameterLayout, and the initial weights
are drawn from the same SplitMix64 stream, so both trainers start from the same bits (up to libm's
last-place rounding of log and cos)."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .rng import SplitMix64

EPS = 1e-5


class Norm(nn.Module):
    """LayerNorm (weight, bias) or RMSNorm (weight only), eps 1e-5 as LayerNorm.swift."""

    def __init__(self, C, kind):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(C))
        self.bias = nn.Parameter(torch.zeros(C)) if kind == "layernorm" else None

    def forward(self, x):
        if self.bias is not None:
            return F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, EPS)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * self.weight


def rope_tables(T, d, base=10_000.0):
    """cos, sin (T, d/2) of angle t * base^(-2i/d), as RoPE.swift (computed in float64)."""
    t = np.arange(T, dtype=np.float64)[:, None]
    i = np.arange(d // 2, dtype=np.float64)[None, :]
    angle = t * np.power(base, -2 * i / d)
    return torch.tensor(np.cos(angle), dtype=torch.float32), torch.tensor(np.sin(angle), dtype=torch.float32)


def rotate(x, cos, sin):
    """x (B, NH, T, d): each pair (x[2i], x[2i+1]) rotated by its position's angle."""
    a, b = x[..., 0::2], x[..., 1::2]
    return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, m):
        super().__init__()
        C = m["d_model"]
        self.ln_1 = Norm(C, m["norm"])
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = Norm(C, m["norm"])
        self.c_fc = nn.Linear(C, m["mlp_ratio"] * C)
        self.mlp_proj = nn.Linear(m["mlp_ratio"] * C, C)
        self.NH = m["n_head"]

    def forward(self, x, rope):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)                  # (B, T, C) each
        q, k, v = (z.view(B, T, self.NH, C // self.NH).transpose(1, 2) for z in (q, k, v))  # (B, NH, T, d)
        if rope is not None:
            q, k = rotate(q, *rope), rotate(k, *rope)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)         # (B, NH, T, d)
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.cfg = m
        C, V = m["d_model"], m["vocab"]
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(m["seq_len"], C) if m["position"] == "learned" else None
        self.h = nn.ModuleList(Block(m) for _ in range(m["n_layer"]))
        self.ln_f = Norm(C, m["norm"])
        self.lm_head = None if m["tied_head"] else nn.Linear(C, V, bias=False)
        if m["position"] == "rope":
            self.register_buffer("rope_cos", rope_tables(m["seq_len"], C // m["n_head"])[0], persistent=False)
            self.register_buffer("rope_sin", rope_tables(m["seq_len"], C // m["n_head"])[1], persistent=False)

    def layout(self):
        """(name, tensor, decays) in the built-in trainer's ParameterLayout order and names."""
        out = [("wte.weight", self.wte.weight, False)]
        if self.wpe is not None:
            out.append(("wpe.weight", self.wpe.weight, False))
        for l, b in enumerate(self.h):
            p = f"h.{l}."
            out.append((p + "ln_1.weight", b.ln_1.weight, False))
            if b.ln_1.bias is not None:
                out.append((p + "ln_1.bias", b.ln_1.bias, False))
            out += [(p + "attn.c_attn.weight", b.c_attn.weight, True), (p + "attn.c_attn.bias", b.c_attn.bias, False),
                    (p + "attn.c_proj.weight", b.c_proj.weight, True), (p + "attn.c_proj.bias", b.c_proj.bias, False),
                    (p + "ln_2.weight", b.ln_2.weight, False)]
            if b.ln_2.bias is not None:
                out.append((p + "ln_2.bias", b.ln_2.bias, False))
            out += [(p + "mlp.c_fc.weight", b.c_fc.weight, True), (p + "mlp.c_fc.bias", b.c_fc.bias, False),
                    (p + "mlp.c_proj.weight", b.mlp_proj.weight, True), (p + "mlp.c_proj.bias", b.mlp_proj.bias, False)]
        out.append(("ln_f.weight", self.ln_f.weight, False))
        if self.ln_f.bias is not None:
            out.append(("ln_f.bias", self.ln_f.bias, False))
        if self.lm_head is not None:
            out.append(("lm_head.weight", self.lm_head.weight, True))
        return out

    @torch.no_grad()
    def initialize(self, seed):
        """GPT.swift's initialize: N(0, std) matrices (std 0.02, or sqrt(2 / (5 C)) for init = "small"),
        residual projections (c_proj) std / sqrt(2 L), zero biases, unit norm weights; one SplitMix64
        stream over the tensors in layout order."""
        m = self.cfg
        std = 0.02 if m["init"] == "gpt2" else math.sqrt(2 / (5 * m["d_model"]))
        residual = std / math.sqrt(2 * m["n_layer"])
        rng = SplitMix64(seed)
        for name, t, _ in self.layout():
            if name.endswith(("ln_1.weight", "ln_2.weight")) or name == "ln_f.weight":
                t.fill_(1)
            elif t.dim() == 1:
                t.zero_()
            else:
                s = residual if name.endswith("c_proj.weight") else std
                t.copy_(torch.from_numpy((rng.gaussians(t.numel()) * s).astype(np.float32)).view_as(t))

    def forward(self, idx, targets, reduction="mean"):
        """idx, targets (B, T) -> the mean cross-entropy in nats per token (or per position)."""
        B, T = idx.shape
        x = self.wte(idx)                                                      # (B, T, C)
        if self.wpe is not None:
            x = x + self.wpe(torch.arange(T, device=idx.device))
        rope = (self.rope_cos[:T], self.rope_sin[:T]) if self.wpe is None else None
        for block in self.h:
            x = block(x, rope)
        head = self.wte.weight if self.lm_head is None else self.lm_head.weight
        logits = self.ln_f(x) @ head.t()                                        # (B, T, V)
        return F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T), reduction=reduction)
