"""Learning-rate schedules as Sources/Training/LRSchedule.swift: the rate at 0-based `step`."""
import math


def lr_at(t, step):
    peak, total, warmup = t["lr"], t["steps"], t["warmup"]
    if warmup > 0 and step < warmup:
        return peak * (step + 1) / warmup
    if t["schedule"] == "constant":
        return peak
    floor = t["min_lr_ratio"]
    if t["schedule"] == "cosine":
        progress = min((step - warmup) / max(total - warmup - 1, 1), 1)
        return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
    cooldown = round_half_away(total * t["cooldown_fraction"])
    start = total - cooldown
    if step < start or cooldown == 0:
        return peak
    progress = (step - start + 1) / cooldown
    decay = 1 - progress if t["cooldown_shape"] == "linear" else 1 - math.sqrt(progress)
    return peak * (floor + (1 - floor) * decay)


def round_half_away(x):
    """Swift's `.rounded()` (half away from zero), not Python's banker's rounding."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
