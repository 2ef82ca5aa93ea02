import ArgumentParser
import DataPrep
import Foundation

/// `ladder data ...` (named DataCommand to avoid clashing with Foundation.Data).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Dataset preparation: ingest, clean, deduplicate, filter, tokenize and shard.",
        subcommands: [DataPrepare.self]
    )
}

struct DataPrepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Turn text/JSONL files (optionally .gz) into token shards, tokenizer.json, manifest.json and a report.",
        discussion: """
        The config file (JSON) may set any subset of the settings, e.g.
          {"ingest": {"separator": "\\n\\n"}, "gopher_quality": {"min_words": 20},
           "perplexity": {"reference": ["ref/"]}, "tokenizer": {"vocab_size": 4096}}
        Flags given on the command line override the file.
        """
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Input files or folders (.txt/.md/.rst/.jsonl, optionally .gz).")
    var input: [String]
    @Option(name: .long, help: "Output folder.") var out: String
    @Option(name: .long, help: "Config file (.json).") var config: String?
    @Option(name: .long, help: "Tokenizer vocabulary size (overrides the config).") var vocab: Int?
    @Option(name: .long, help: "Validation fraction of documents (overrides the config).") var valFraction: Double?
    @Option(name: .long, help: "Worker threads, 0 = all cores (overrides the config).") var threads: Int?
    @Option(name: .long, help: "Encode with this existing tokenizer.json instead of training one (overrides the config).") var tokenizer: String?
    @Flag(name: .long, help: "Print the report as JSON on stdout.") var json = false
    @Flag(name: .long, help: "Write into --out even when it already holds files (they may be replaced).") var force = false

    func validate() throws {
        if input.isEmpty { throw ValidationError("give at least one --input path") }
        if let v = vocab, !(257...(1 << 24)).contains(v) { throw ValidationError("--vocab must be in 257...\(1 << 24) (256 bytes + <|endoftext|> and merges), got \(v)") }
        if let t = threads, !(0...4096).contains(t) { throw ValidationError("--threads must be in 0...4096 (0 = all cores), got \(t)") }
        if let f = valFraction, !(0 ... 1).contains(f) { throw ValidationError("--val-fraction must be between 0 and 1") }
    }

    /// `--out` must be a new or empty folder unless `--force`: the pipeline writes manifest.json,
    /// tokenizer.json, report.{md,json} and shards there, replacing files of the same names.
    static func checkOutput(_ out: String, force: Bool) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw ValidationError("--out \(out) is a file; give a folder (new or empty)") }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        if !entries.isEmpty && !force {
            throw ValidationError("--out \(out) is not empty (\(entries.sorted().prefix(5).joined(separator: ", "))\(entries.count > 5 ? ", ..." : "")); pass --force to write into it anyway (files of the same names are replaced), or choose a new folder. Nothing was written.")
        }
    }

    func run() throws {
        var cfg = PrepareConfig()
        if let c = config { cfg = try PrepareConfig.load(from: URL(fileURLWithPath: c)) }
        if let v = vocab { cfg.tokenizer.vocabSize = v }
        if let f = valFraction { cfg.shards.valFraction = f }
        if let t = threads { cfg.threads = t }
        if let t = tokenizer { cfg.tokenizer.path = t }
        let pipeline = DataPipeline(config: cfg)
        pipeline.progress = { FileHandle.standardError.write(Data(("ladder data: " + $0 + "\n").utf8)) }
        let outURL = URL(fileURLWithPath: out)
        try Self.checkOutput(out, force: force)
        let report = try pipeline.run(inputs: input, output: outURL)
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(report), as: UTF8.self))
        } else {
            for s in report.stages {
                print("\(s.stage): \(s.input) -> \(s.kept)" + (s.dropped.isEmpty ? "" : "  (" + s.dropped.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"))
            }
            let bad = report.drops.counts.filter { $0.key.hasPrefix("ingest.") }
            if !bad.isEmpty { print("bad input: " + bad.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", ")) }
            if report.train.documents + report.val.documents == 0 {
                print("warning: no document survived; see report.md for what each stage dropped and why")
            }
            print("train: \(report.train.documents) docs, \(report.train.tokens) tokens; val: \(report.val.documents) docs, \(report.val.tokens) tokens")
            print("wrote \(outURL.path)/{manifest.json, tokenizer.json, report.md, report.json, train_*.tok, val_*.tok} in \(String(format: "%.1f", report.seconds)) s")
        }
    }
}
