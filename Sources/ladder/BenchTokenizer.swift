import ArgumentParser
import DataPrep
import Foundation

struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Byte-level BPE: training time, single-thread encode MB/s, bytes/token; side by side with Hugging Face tokenizers when available."
    )

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Vocabulary size.") var vocab = 8192
    @Option(help: "Corpora folder (default: $LADDER_CORPORA or ../shared/corpora).") var corpora: String?
    @Option(parsing: .upToNextOption, help: "Text files to use instead of the default prose files (~25 MB).") var files: [String] = []
    @Flag(help: "Skip the Hugging Face baseline (python3 ../shared/bench/tokenize_hf.py).") var noBaseline = false
    @Option(help: "Python for the baseline (default: $LADDER_BENCH_PY or python3).") var python: String?

    func run() throws {
        let urls: [URL]
        var dir: URL?
        if files.isEmpty {
            dir = try CorporaLocator.directory(corpora)
            urls = CorporaLocator.proseFiles(dir!)
        } else {
            urls = files.map { URL(fileURLWithPath: $0) }
            dir = try? CorporaLocator.directory(corpora)
        }
        let ours = try TokenizerBenchmark.run(files: urls, vocabSize: vocab)
        var baseline: [String: Any]?
        var baselineNote: String?
        if !noBaseline {
            let script = dir?.deletingLastPathComponent().appendingPathComponent("bench/tokenize_hf.py")
            if let s = script, FileManager.default.fileExists(atPath: s.path) {
                let py = python ?? ProcessInfo.processInfo.environment["LADDER_BENCH_PY"] ?? "python3"
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = [py, s.path, "--vocab", String(vocab), "--threads", "1"] + urls.map(\.path)
                let out = Pipe()
                p.standardOutput = out
                p.standardError = Pipe()
                try p.run()
                let d = out.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                if p.terminationStatus == 0, let line = String(decoding: d, as: UTF8.self).split(separator: "\n").last,
                   let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                    baseline = obj
                } else {
                    baselineNote = "baseline failed (exit \(p.terminationStatus)); is `tokenizers` installed for \(py)?"
                }
            } else {
                baselineNote = "baseline script not found"
            }
        }
        if json {
            var o: [String: Any] = [
                "system": ours.system, "vocab": ours.vocab, "threads": ours.threads, "mb": ours.mb,
                "train_s": round3(ours.train_s), "encode_mb_per_s": round3(ours.encode_mb_per_s),
                "bytes_per_token": round3(ours.bytes_per_token), "round_trip_ok": ours.round_trip_ok,
            ]
            if let b = baseline {
                o["baseline"] = b
                if let bs = b["encode_mb_per_s"] as? Double, let bt = b["train_s"] as? Double, let bb = b["bytes_per_token"] as? Double {
                    o["encode_speedup"] = round3(ours.encode_mb_per_s / bs)
                    o["train_speedup"] = round3(bt / ours.train_s)
                    o["bytes_per_token_rel_diff"] = round3(ours.bytes_per_token / bb - 1)
                }
            }
            if let n = baselineNote { o["baseline_note"] = n }
            let d = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
            print(String(decoding: d, as: UTF8.self))
        } else {
            print(String(format: "ladder-bpe: %.2f MB, vocab %d, train %.2f s, encode %.2f MB/s (1 thread), %.3f bytes/token, round trip %@",
                         ours.mb, ours.vocab, ours.train_s, ours.encode_mb_per_s, ours.bytes_per_token, ours.round_trip_ok ? "ok" : "FAILED"))
            if let b = baseline {
                print("hf-tokenizers: train \(b["train_s"] ?? "?") s, encode \(b["encode_mb_per_s"] ?? "?") MB/s, \(b["bytes_per_token"] ?? "?") bytes/token")
            }
            if let n = baselineNote { print(n) }
        }
    }
}

fileprivate func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
