import DataPrep
import Foundation

/// Our byte-level BPE against Hugging Face `tokenizers` on the same files: the baseline runs as
/// `shared/bench/tokenize_hf.py` (one thread) under a Python that has `tokenizers`, and the record
/// puts both side by side with the encode and training speedups and the relative difference in
/// bytes per token.
public enum TokenizerComparison {
    /// The baseline's JSON record, or why there is none (script missing, script failed).
    public static func baseline(script: URL?, python: String, vocab: Int, files: [URL])
        -> (record: [String: Any]?, note: String?) {
        guard let script, FileManager.default.fileExists(atPath: script.path) else { return (nil, "baseline script not found") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, script.path, "--vocab", String(vocab), "--threads", "1"] + files.map(\.path)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        do { try p.run() } catch { return (nil, "baseline could not start: \(error)") }
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus == 0, let line = String(decoding: d, as: UTF8.self).split(separator: "\n").last,
           let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
            return (obj, nil)
        }
        return (nil, "baseline failed (exit \(p.terminationStatus)); is `tokenizers` installed for \(python)?")
    }

    /// Our result with the baseline's (when there is one) and the ratios between them.
    public static func record(ours: TokenizerBenchmark, baseline: [String: Any]?, note: String?) -> [String: Any] {
        var o: [String: Any] = [
            "system": ours.system, "vocab": ours.vocab, "threads": ours.threads, "mb": ours.mb,
            "train_s": rounded(ours.train_s, 3), "encode_mb_per_s": rounded(ours.encode_mb_per_s, 3),
            "bytes_per_token": rounded(ours.bytes_per_token, 3), "round_trip_ok": ours.round_trip_ok,
        ]
        if let b = baseline {
            o["baseline"] = b
            if let bs = b["encode_mb_per_s"] as? Double, let bt = b["train_s"] as? Double, let bb = b["bytes_per_token"] as? Double {
                o["encode_speedup"] = rounded(ours.encode_mb_per_s / bs, 3)
                o["train_speedup"] = rounded(bt / ours.train_s, 3)
                o["bytes_per_token_rel_diff"] = rounded(ours.bytes_per_token / bb - 1, 3)
            }
        }
        if let note { o["baseline_note"] = note }
        return o
    }
}
