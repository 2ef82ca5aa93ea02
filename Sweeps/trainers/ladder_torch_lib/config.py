"""The training config: the same TOML file `ladder train` reads (or the JSON of a stored run that Ladder
writes to `{config}`), with the same keys and defaults as Sources/Training/TrainConfig.swift."""
import json
import os
import tomllib

MODEL = {"vocab": 256, "seq_len": None, "d_model": None, "n_layer": None, "n_head": None, "mlp_ratio": 4,
         "position": "learned", "norm": "layernorm", "tied_head": True, "init": "gpt2"}
DATA = {"path": None, "val_fraction": 0.05, "split": "tail", "split_block": 8192, "sampling": "random"}
TRAIN = {"batch": 8, "micro_batches": 1, "steps": 100, "lr": 1e-3, "schedule": "cosine", "warmup": 0,
         "min_lr_ratio": 0.1, "cooldown_fraction": 0.2, "cooldown_shape": "linear", "weight_decay": 0.1,
         "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "grad_clip": 1.0, "eval_interval": 50, "eval_batches": 4,
         "eval_tokens": 0, "final_eval_tokens": 0, "checkpoint_interval": 0, "seed": 1, "threads": 2,
         "precision": "fp32", "max_grad_norm": 1e4, "save_at": []}
CHOICES = {("model", "position"): ("learned", "rope"), ("model", "norm"): ("layernorm", "rmsnorm"),
           ("model", "init"): ("gpt2", "small"), ("data", "split"): ("tail", "interleaved"),
           ("data", "sampling"): ("random", "shuffled"), ("train", "schedule"): ("constant", "cosine", "wsd"),
           ("train", "cooldown_shape"): ("linear", "1-sqrt"), ("train", "precision"): ("fp32",)}
# Top-level tables a stored run's JSON may carry that the trainer does not use.
IGNORED = {"sweep", "parallel"}


class ConfigError(ValueError):
    pass


def load(path, overrides=()):
    """Reads a .toml or .json config, applies `section.key=value` overrides, fills defaults, checks it.
    A relative data path is relative to the config file, as for `ladder train`."""
    try:
        with open(path, "rb") as f:
            raw = json.load(f) if path.endswith(".json") else tomllib.load(f)
    except (OSError, ValueError) as e:
        raise ConfigError(f"{path}: {e}") from e
    for item in overrides:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        if not name or not value:
            raise ConfigError(f"--set {item}: expected section.key=value")
        try:
            parsed = tomllib.loads(f"v = {value}")["v"]
        except ValueError:
            parsed = value
        raw.setdefault(section, {})[name] = parsed
    cfg = {}
    for section, defaults in (("model", MODEL), ("data", DATA), ("train", TRAIN)):
        given = raw.get(section, {})
        unknown = sorted(set(given) - set(defaults))
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) in [{section}]: {', '.join(unknown)} (known: {', '.join(defaults)})")
        values = dict(defaults)
        values.update(given)
        for key, value in values.items():
            if value is None:
                raise ConfigError(f"{path}: [{section}] {key} is required")
            expected = type(defaults[key]) if defaults[key] is not None else (str if key == "path" else int)
            if not kind_matches(value, expected):
                raise ConfigError(f"{path}: [{section}] {key} = {value!r} must be {expected.__name__}")
            if (section, key) in CHOICES and value not in CHOICES[(section, key)]:
                raise ConfigError(f"{path}: [{section}] {key} = {value!r}; use one of {', '.join(CHOICES[(section, key)])}")
        cfg[section] = values
    unknown = sorted(set(raw) - {"model", "data", "train"} - IGNORED)
    if unknown:
        raise ConfigError(f"{path}: unknown table(s): {', '.join(unknown)}")
    if raw.get("parallel") and any(v not in (0, 1) for k, v in raw["parallel"].items() if k != "zero"):
        raise ConfigError(f"{path}: [parallel] is the built-in trainer's; run this trainer under torchrun for data parallelism")
    # a sweep's labels; a WSD branch names its trunk's run and the step it starts from
    cfg["sweep"] = raw.get("sweep", {}) if isinstance(raw.get("sweep"), dict) else {}
    data_path = cfg["data"]["path"]
    if not os.path.isabs(data_path):
        cfg["data"]["path"] = os.path.join(os.path.dirname(os.path.abspath(path)), data_path)
    check(cfg, path)
    return cfg


def kind_matches(value, expected):
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is list:
        return isinstance(value, list) and all(isinstance(v, int) for v in value)
    return isinstance(value, expected)


def check(cfg, path):
    m, d, t = cfg["model"], cfg["data"], cfg["train"]

    def fail(message):
        raise ConfigError(f"{path}: {message}")
    if m["d_model"] % m["n_head"]:
        fail(f"model.d_model ({m['d_model']}) must be divisible by model.n_head ({m['n_head']})")
    if m["position"] == "rope" and (m["d_model"] // m["n_head"]) % 2:
        fail("rope needs an even head dimension")
    for key in ("steps", "batch", "micro_batches", "eval_batches", "threads"):
        if t[key] < 1:
            fail(f"train.{key} must be at least 1, got {t[key]}")
    if not t["lr"] > 0:
        fail(f"train.lr must be positive, got {t['lr']}")
    if t["warmup"] < 0 or (t["warmup"] >= t["steps"] and t["steps"] > 1):
        fail(f"train.warmup must be in 0..<train.steps ({t['steps']}), got {t['warmup']}")
    if not 0 < d["val_fraction"] < 1:
        fail(f"data.val_fraction must be in (0, 1), got {d['val_fraction']}")
    if d["path"].endswith(".json") or os.path.isdir(d["path"]):
        fail(f"data.path {d['path']}: token-shard folders are not read by this trainer yet; use a text file (or .gz)")
