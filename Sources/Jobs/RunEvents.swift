import Foundation
import Sweeps
import Training

/// Where a job's events go: one JSON object a line on standard output (`--json`), or one human
/// line each on standard error (nothing when quiet). Every trainer's job prints the same events.
public struct RunEventPrinter {
    public var json: Bool
    public var quiet: Bool

    public init(json: Bool, quiet: Bool = false) {
        self.json = json
        self.quiet = quiet
    }

    /// An event: `object` (nil values become null) as JSON, or `line` for people.
    public func emit(_ object: [String: Any?], line: String) {
        if json {
            if let text = try? jsonLine(object.mapValues { $0 ?? NSNull() }) {
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            }
        } else if !quiet {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// A line for people only (start-up notes); never on standard output.
    public func log(_ line: String) {
        if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}

/// What a step's line and object say beyond the trainer's event: throughput as model FLOPs.
public struct StepThroughput {
    /// Training FLOPs per token of the model (6 N plus attention, as the model counts them).
    public var flopsPerToken: Double
    public var threads: Int
    public var peakGflopsPerThread: Double
}

extension RunEventPrinter {
    /// Prints one training event of run `runId` of `totalSteps`; `eta` (seconds) for step lines.
    public func print(_ event: TrainEvent, totalSteps: Int, throughput: StepThroughput, eta: Double) {
        switch event {
        case let .step(step, tokens, loss, lr, norm, tps):
            let gflops = tps * throughput.flopsPerToken / 1e9
            let mfu = PeakFlops.mfu(gflops: gflops, threads: throughput.threads, perThread: throughput.peakGflopsPerThread)
            emit(["event": "step", "step": step, "tokens": tokens, "loss": Double(loss), "lr": lr,
                  "grad_norm": Double(norm), "tokens_per_s": tps, "model_gflops": gflops, "mfu": mfu],
                 line: String(format: "step %5d/%d  loss %.4f  lr %.2e  |g| %.3f  %.0f tok/s  %.1f GFLOP/s (MFU %.0f%%)  ETA %@",
                              step, totalSteps, loss, lr, norm, tps, gflops, mfu * 100, duration(eta)))
        case let .eval(step, tokens, val, bpb):
            emit(["event": "eval", "step": step, "tokens": tokens, "val_loss": Double(val), "bits_per_byte": bpb],
                 line: String(format: "eval  step %d  val loss %.4f nats/token  %.4f bits/byte", step, val, bpb))
        case let .checkpoint(step, path):
            emit(["event": "checkpoint", "step": step, "path": path], line: "checkpoint at step \(step): \(path)")
        case let .skippedStep(step, scale, skipped):
            emit(["event": "skipped_step", "step": step, "loss_scale": Double(scale), "skipped_steps": skipped],
                 line: "step \(step) skipped: fp16 gradients overflowed; loss scale now \(scale) (\(skipped) skipped so far)")
        }
    }
}
