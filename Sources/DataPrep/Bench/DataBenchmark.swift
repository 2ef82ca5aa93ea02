import Foundation

/// Filter + dedup throughput: normalization, Gopher repetition and quality, C4, FineWeb, exact and
/// MinHash LSH dedup, on one thread (so MB/s is per core). Documents are made from the corpora
/// the way web pages look: text files are cut into ~4 KB documents at paragraph boundaries (at
/// sentence boundaries for files without line breaks); JSONL records are documents as they are.
/// File reading and document cutting are outside the timed region.
public struct DataBenchmark: Codable, Sendable {
    public var system = "ladder-dataprep"
    public var threads = 1
    public var mb: Double
    public var documents: Int
    public var kept: Int
    /// Wall-clock seconds (inflated when other processes share the CPU).
    public var seconds: Double
    /// CPU seconds of the benchmark thread.
    public var cpu_seconds: Double
    /// MB / CPU second: throughput of one core.
    public var mb_per_s_per_core: Double
    /// MB / wall second.
    public var mb_per_s_wall: Double
    /// Seconds per stage group.
    public var normalize_s: Double
    public var filters_s: Double
    public var dedup_s: Double
    public var dropped: [String: Int]

    static func cut(_ text: String, target: Int = 4000) -> [String] {
        var docs: [String] = []
        var cur = ""
        let hasLines = text.contains("\n")
        let pieces = hasLines ? text.components(separatedBy: "\n\n") : text.components(separatedBy: ". ")
        for p in pieces {
            cur += p + (hasLines ? "\n\n" : ". ")
            if cur.utf8.count >= target {
                docs.append(cur)
                cur = ""
            }
        }
        if !cur.isEmpty { docs.append(cur) }
        return docs
    }

    public static func run(files: [URL], config: PrepareConfig = PrepareConfig()) throws -> DataBenchmark {
        var docs: [String] = []
        for f in files {
            if f.pathExtension == "jsonl" {
                let reader = DocumentReader(options: config.ingest)
                try reader.read([f.path]) { docs.append($0.text) }
            } else {
                docs += cut(String(decoding: try Data(contentsOf: f), as: UTF8.self))
            }
        }
        let bytes = docs.reduce(0) { $0 + $1.utf8.count }
        let norm = TextNormalizer(options: config.normalize)
        var rep = GopherRepetitionFilter(options: config.gopherRepetition)
        let qual = GopherQualityFilter(options: config.gopherQuality)
        let c4 = C4Filter(options: config.c4)
        var fw = FineWebFilter(options: config.fineweb)
        var dedup = Deduplicator(options: config.dedup)
        var dropped: [String: Int] = [:]
        var lines: [String: Int] = [:]
        var tNorm: UInt64 = 0, tFilt: UInt64 = 0, tDedup: UInt64 = 0
        var kept = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        let c0 = threadCPUSeconds()
        for d in docs {
            let a = DispatchTime.now().uptimeNanoseconds
            var text = norm.normalize(d)
            let b = DispatchTime.now().uptimeNanoseconds
            tNorm += b - a
            var reason: String?
            let stats = TextStats(text)
            reason = rep.check(stats) ?? qual.check(stats)
            if reason == nil {
                switch c4.apply(text, lineCounts: &lines) {
                case let .drop(r): reason = r
                case let .keep(t): text = t; reason = fw.check(text)
                }
            }
            let c = DispatchTime.now().uptimeNanoseconds
            tFilt += c - b
            if reason == nil { reason = dedup.check(text) }
            tDedup += DispatchTime.now().uptimeNanoseconds - c
            if let r = reason { dropped[r, default: 0] += 1 } else { kept += 1 }
        }
        let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let cpu = threadCPUSeconds() - c0
        let mb = Double(bytes) / 1e6
        return DataBenchmark(mb: (mb * 100).rounded() / 100, documents: docs.count, kept: kept, seconds: secs, cpu_seconds: cpu,
                             mb_per_s_per_core: mb / cpu, mb_per_s_wall: mb / secs, normalize_s: Double(tNorm) / 1e9, filters_s: Double(tFilt) / 1e9,
                             dedup_s: Double(tDedup) / 1e9, dropped: dropped)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time consumed by the calling thread.
public func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
