import ArgumentParser
import Benchmarks
import DataPrep
import Foundation
import Jobs

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
            let py = python ?? ProcessInfo.processInfo.environment["LADDER_BENCH_PY"] ?? "python3"
            (baseline, baselineNote) = TokenizerComparison.baseline(script: script, python: py, vocab: vocab, files: urls)
        }
        if json {
            print(try jsonLine(TokenizerComparison.record(ours: ours, baseline: baseline, note: baselineNote)))
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

