import ArgumentParser
import DataPrep
import Foundation

struct BenchData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Filter + dedup throughput (normalize, Gopher, C4, FineWeb, exact + MinHash dedup) in MB/s per core on the corpora."
    )

    @Flag(help: "Print one JSON object.") var json = false
    @Option(help: "Corpora folder (default: $LADDER_CORPORA or ../shared/corpora).") var corpora: String?
    @Option(parsing: .upToNextOption, help: "Files to use instead of every corpus file.") var files: [String] = []

    func run() throws {
        let urls: [URL]
        if files.isEmpty {
            let dir = try CorporaLocator.directory(corpora)
            urls = CorporaLocator.proseFiles(dir) + ["mhcc.txt", "python-docs.jsonl"].map { dir.appendingPathComponent($0) }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
        } else {
            urls = files.map { URL(fileURLWithPath: $0) }
        }
        let r = try DataBenchmark.run(files: urls)
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(r), as: UTF8.self))
        } else {
            print(String(format: "%.1f MB, %d documents (%d kept): %.2f s wall, %.2f s CPU, %.1f MB/s per core (CPU time), %.1f MB/s wall (normalize %.2f s, filters %.2f s, dedup %.2f s wall)",
                         r.mb, r.documents, r.kept, r.seconds, r.cpu_seconds, r.mb_per_s_per_core, r.mb_per_s_wall, r.normalize_s, r.filters_s, r.dedup_s))
            for (k, v) in r.dropped.sorted(by: { $0.value > $1.value }) { print("  \(k): \(v)") }
        }
    }
}
