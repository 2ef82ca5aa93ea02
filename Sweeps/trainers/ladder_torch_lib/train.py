"""The training loop of Sources/Training/Trainer.swift: AdamW (decay on block matrices and an untied
head), micro-batch gradient accumulation, global-norm clipping, the schedule, periodic evaluation,
checkpoints and exact resume; data parallel over torchrun's ranks."""
import math
import os
import time

import torch
import torch.distributed as dist

from . import checkpoint
from .model import GPT
from .schedule import lr_at


class Run:
    def __init__(self, cfg, data, device):
        self.cfg, self.data = cfg, data
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        self.device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if cuda else "gloo")
            if cfg["train"]["batch"] % self.world:
                raise SystemExit(f"ladder_torch: train.batch ({cfg['train']['batch']}) must divide by the world size ({self.world})")
        t = cfg["train"]
        self.model = GPT(cfg["model"])
        self.model.initialize(t["seed"])
        self.model.to(self.device)
        self.layout = self.model.layout()
        groups = [{"params": [p for _, p, d in self.layout if d], "weight_decay": t["weight_decay"]},
                  {"params": [p for _, p, d in self.layout if not d], "weight_decay": 0.0}]
        self.opt = torch.optim.AdamW(groups, lr=t["lr"], betas=(t["beta1"], t["beta2"]), eps=t["eps"], foreach=False)
        self.ddp = torch.nn.parallel.DistributedDataParallel(self.model) if self.world > 1 else None
        self.step = 0
        self.recent = []
        self.tokens_per_step = t["batch"] * t["micro_batches"] * cfg["model"]["seq_len"]

    def restore(self, state):
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.step, self.recent = state["step"], state["recent_losses"]
        self.data.rng.state = state["data_rng"]

    def state(self):
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(), "step": self.step,
                "recent_losses": self.recent, "data_rng": self.data.rng.state, "model_cfg": self.cfg["model"]}

    def train(self, metrics, path, stop, stop_after=None):
        t = self.cfg["train"]
        started, first = time.time(), self.step
        metrics.write(event="start", step=self.step)
        val = None
        while self.step < t["steps"]:
            tick = time.time()
            loss, norm = self.train_step()
            if not math.isfinite(loss) or not math.isfinite(norm) or norm > t["max_grad_norm"]:
                reason = f"loss is {loss}" if not math.isfinite(loss) else f"gradient norm {norm} exceeds train.max_grad_norm ({t['max_grad_norm']})"
                return self.result("diverged", reason, started, first, val)
            self.step += 1
            self.recent = (self.recent + [loss])[-10:]
            tokens = self.step * self.tokens_per_step
            metrics.write(step=self.step, tokens=tokens, train_loss=loss, lr=lr_at(t, self.step - 1), grad_norm=norm,
                          tokens_per_s=self.tokens_per_step / max(time.time() - tick, 1e-9))
            if (t["eval_interval"] > 0 and self.step % t["eval_interval"] == 0) or self.step == t["steps"]:
                val = self.evaluate(final=self.step == t["steps"])
                metrics.write(step=self.step, tokens=tokens, val_loss=val, tasks={"val_bpb": val / math.log(2)})
            saved = path and ((t["checkpoint_interval"] > 0 and self.step % t["checkpoint_interval"] == 0)
                              or self.step == t["steps"] or self.step in t["save_at"])
            if saved:
                self.save(path, metrics)
            if path and self.step in t["save_at"] and self.rank == 0:
                checkpoint.keep(path, self.step)
            reason = self.agreed_stop(stop, stop_after)
            if reason and self.step < t["steps"]:
                if path and not saved:
                    self.save(path, metrics)
                return self.result("interrupted", f"{reason} at step {self.step} of {t['steps']}", started, first, val)
        if val is None:  # resumed from the final checkpoint (its end line was lost): evaluate again
            val = self.evaluate(final=True)
        return self.result("done", None, started, first, val)

    def save(self, path, metrics):
        if self.rank == 0:
            checkpoint.save(path, self.state())
            metrics.write(event="checkpoint", step=self.step)

    def agreed_stop(self, stop, stop_after):
        """Every rank stops at the same step when any rank is asked to."""
        reason = stop.reason() or (f"--stop-after {stop_after}" if stop_after is not None and self.step >= stop_after else None)
        if self.world > 1:
            flag = torch.tensor([1.0 if reason else 0.0], device=self.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            reason = reason or ("a peer rank stopped" if flag.item() > 0 else None)
        return reason

    def result(self, outcome, reason, started, first, val):
        out = {"outcome": outcome, "steps": self.step, "tokens": self.step * self.tokens_per_step,
               "loss": val, "train_loss": sum(self.recent) / len(self.recent) if self.recent else None,
               "wall_seconds": time.time() - started, "steps_run": self.step - first, "world_size": self.world,
               "device": self.device.type}
        if reason:
            out["reason"] = reason
        return out

    def train_step(self):
        """One optimizer step; returns (mean micro-batch loss, gradient norm before clipping)."""
        t, model = self.cfg["train"], self.ddp or self.model
        self.opt.zero_grad(set_to_none=False)
        share = t["batch"] // self.world
        total = 0.0
        for micro in range(t["micro_batches"]):
            starts = self.data.starts(t["batch"], (self.step * t["micro_batches"] + micro) * t["batch"])
            x, y = self.data.batch(self.data.train, starts[self.rank * share:(self.rank + 1) * share])
            x, y = torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device)
            sync = self.ddp is None or micro == t["micro_batches"] - 1
            with (torch.enable_grad() if sync else self.ddp.no_sync()):
                loss = model(x, y)
                (loss / t["micro_batches"]).backward()
            total += loss.detach()
        if self.world > 1:
            dist.all_reduce(total)  # gloo has no AVG
        loss = float(total) / t["micro_batches"] / self.world
        grads = [p.grad for p in self.model.parameters()]
        norm = math.sqrt(sum(float(g.double().pow(2).sum()) for g in grads))
        if not math.isfinite(loss) or not math.isfinite(norm):
            return loss, norm
        if t["grad_clip"] > 0 and norm > t["grad_clip"]:
            for g in grads:
                g.mul_(t["grad_clip"] / norm)
        for group in self.opt.param_groups:
            group["lr"] = lr_at(t, self.step)
        self.opt.step()
        return loss, norm

    @torch.no_grad()
    def evaluate(self, final=False):
        """Mean validation loss in nats per token, as Trainer.evaluate: `eval_tokens` tokens of windows spread
        over the held-out split (final: `final_eval_tokens`, 0 meaning all), or `eval_batches` batches."""
        t, T, data = self.cfg["train"], self.cfg["model"]["seq_len"], self.data
        self.model.eval()
        if t["eval_tokens"] > 0:
            tokens = (t["final_eval_tokens"] or 1 << 62) if final else t["eval_tokens"]
            starts = data.eval_starts(max(1, min(data.validation_windows(), tokens // T)))
        else:
            starts = [s for i in range(t["eval_batches"]) for s in data.batch_starts(i, t["eval_batches"], t["batch"])]
        mine = starts[self.rank::self.world]
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        chunk = max(t["batch"], 64)
        for i in range(0, len(mine), chunk):
            x, y = data.batch(data.val, mine[i:i + chunk])
            total += self.model(torch.from_numpy(x).to(self.device), torch.from_numpy(y).to(self.device),
                                reduction="sum").double()
        if self.world > 1:
            dist.all_reduce(total)
        self.model.train()
        return float(total) / (len(starts) * T)

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()
