import Foundation
import Randomness

/// `ladder data prepare`: ingest -> normalize -> heuristic filters -> dedup -> perplexity and
/// classifier filters -> BPE tokenizer -> train/val shards, with a report of every stage.
///
/// Pass 1 streams the inputs in batches (worker threads run the per-document stages, the
/// deduplicator runs in input order) and writes kept documents to a temporary file in `output`.
/// Pass 2 applies the perplexity buckets (percentiles over all pass-1 documents) and the
/// classifier (trained after pass 1 on the reference vs a reservoir sample of kept documents) and
/// feeds the tokenizer trainer. Pass 3 encodes the survivors into shards. Memory is bounded by the
/// batch size, the dedup index (about 250 bytes per kept document), the tokenizer's word counts,
/// one perplexity value and one bit per kept document, and the classifier sample.
public final class DataPipeline {
    public let config: PrepareConfig
    /// Progress messages (the CLI prints them to stderr).
    public var progress: ((String) -> Void)?

    public init(config: PrepareConfig) {
        self.config = config
    }

    private var threads: Int {
        config.threads > 0 ? config.threads : max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }

    /// Reads reference documents (normalized), up to `maxBytes` / `maxDocs`.
    private func readReference(_ paths: [String], maxBytes: Int, maxDocs: Int) throws -> [String] {
        let reader = DocumentReader(options: config.ingest)
        let norm = TextNormalizer(options: config.normalize)
        var out: [String] = []
        var bytes = 0
        struct Done: Error {}
        do {
            try reader.read(paths) { d in
                let t = norm.normalize(d.text)
                if t.isEmpty { return }
                out.append(t)
                bytes += t.utf8.count
                if bytes >= maxBytes || out.count >= maxDocs { throw Done() }
            }
        } catch is Done {}
        return out
    }

    @discardableResult
    public func run(inputs: [String], output: URL) throws -> PrepareReport {
        let t0 = Date()
        let fm = FileManager.default
        try fm.createDirectory(at: output, withIntermediateDirectories: true)
        // shards of an earlier run would otherwise linger next to the new manifest
        for f in (try? fm.contentsOfDirectory(atPath: output.path)) ?? [] where f.hasSuffix(".tok") && (f.hasPrefix("train_") || f.hasPrefix("val_")) {
            try fm.removeItem(at: output.appendingPathComponent(f))
        }
        var report = PrepareReport()
        report.inputs = inputs
        report.config = config.json()
        report.drops = DropLog(maxExamples: config.reportExamples)

        // Reference models
        var lm: KneserNeyLM?
        if !config.perplexity.reference.isEmpty {
            let ref = try readReference(config.perplexity.reference, maxBytes: config.perplexity.maxReferenceBytes, maxDocs: .max)
            progress?("perplexity: training a \(config.perplexity.order)-gram Kneser-Ney LM on \(ref.count) reference documents")
            lm = KneserNeyLM(order: config.perplexity.order, texts: ref)
        }
        var positives: [String] = []
        if !config.classifier.reference.isEmpty {
            positives = try readReference(config.classifier.reference, maxBytes: 256 << 20, maxDocs: config.classifier.sampleDocuments)
        }

        // Pass 1
        let reader = DocumentReader(options: config.ingest)
        let workers = (0 ..< threads).map { _ in DocumentProcessor(config: config, lm: lm) }
        var dedup = Deduplicator(options: config.dedup)
        let keptURL = output.appendingPathComponent(".kept.tmp")
        let kept = try KeptStoreWriter(url: keptURL)
        defer { try? fm.removeItem(at: keptURL) }
        var perplexities: [Double] = []
        var sample: [String] = []
        var sampleSeen = 0
        var rng = SplitMix64(seed: 12345)
        var batch: [Document] = []
        var batchBytes = 0
        func flushBatch() throws {
            guard !batch.isEmpty else { return }
            var results = [ProcessedDocument?](repeating: nil, count: batch.count)
            let n = batch.count
            let nt = min(workers.count, n)
            let docs = batch
            let perThread = OnePerWorker(workers)
            results.withUnsafeMutableBufferPointer { res in
                let r = DisjointSlots(res)
                DispatchQueue.concurrentPerform(iterations: nt) { t in
                    var i = t
                    while i < n {
                        r[i] = perThread[t].process(docs[i])
                        i += nt
                    }
                }
            }
            for case var p? in results {
                for (k, v) in p.lineRemovals { report.lineRemovals[k, default: 0] += v }
                if p.drop == nil, let d = dedup.insert((p.exact, p.bands)) { p.drop = d }
                if let d = p.drop {
                    report.drops.record(d, id: p.id, text: p.text)
                    continue
                }
                try kept.append(id: p.id, text: p.text, perplexity: p.perplexity)
                if lm != nil { perplexities.append(p.perplexity) }
                if !positives.isEmpty {
                    sampleSeen += 1
                    if sample.count < config.classifier.sampleDocuments {
                        sample.append(p.text)
                    } else {
                        let j = Int(rng.next() % UInt64(sampleSeen))
                        if j < sample.count { sample[j] = p.text }
                    }
                }
            }
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
        try reader.read(inputs) { d in
            batchBytes += d.text.utf8.count
            batch.append(d)
            if batch.count >= 256 * threads || batchBytes >= 16 << 20 { try flushBatch() }
        }
        try flushBatch()
        try kept.close()
        report.drops.merge(reader.log)
        report.files = reader.filesRead
        report.documentsRead = reader.documentsRead
        report.bytesRead = reader.bytesRead
        progress?("pass 1: \(reader.documentsRead) documents read, \(kept.count) kept after filters and dedup")

        // Perplexity thresholds and classifier
        var headThreshold = Double.infinity, tailThreshold = Double.infinity
        if lm != nil, !perplexities.isEmpty {
            let sorted = perplexities.sorted()
            func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.down))))] }
            headThreshold = pct(config.perplexity.headPercentile)
            tailThreshold = pct(config.perplexity.tailPercentile)
            report.perplexityHead = headThreshold
            report.perplexityTail = tailThreshold
        }
        perplexities = []
        var classifier: HashedNGramClassifier?
        if !positives.isEmpty && !sample.isEmpty {
            var c = HashedNGramClassifier(buckets: config.classifier.buckets, ngrams: config.classifier.ngrams)
            c.train(positive: positives, negative: sample, epochs: config.classifier.epochs)
            classifier = c
            report.classifierPositives = positives.count
            report.classifierNegatives = sample.count
            progress?("classifier: trained on \(positives.count) reference vs \(sample.count) input documents")
        }
        positives = []
        sample = []

        // Pass 2: model filters, tokenizer training
        var keep = [Bool](repeating: false, count: kept.count)
        var splitHash = [UInt32](repeating: 0, count: kept.count)
        var trainer = BPETrainer()
        let training = config.tokenizer.path == nil
        let maxTrain = config.tokenizer.maxTrainingBytes > 0 ? config.tokenizer.maxTrainingBytes : Int.max
        var minHashIndex = -1
        var minHash = UInt32.max
        try KeptStoreReader.forEach(keptURL) { i, id, text, ppl in
            if lm != nil {
                let bucket: PerplexityBucket = ppl <= headThreshold ? .head : (ppl <= tailThreshold ? .middle : .tail)
                if !config.perplexity.keep.contains(bucket) {
                    report.drops.record("perplexity.\(bucket.rawValue)", id: id, text: text)
                    return
                }
            }
            if let c = classifier, c.score(text) < config.classifier.threshold {
                report.drops.record("classifier.below_threshold", id: id, text: text)
                return
            }
            keep[i] = true
            let h = UInt32(truncatingIfNeeded: Deduplicator.exactKey(text).y >> 32)
            splitHash[i] = h
            if h < minHash { minHash = h; minHashIndex = i }
            if training && trainer.bytesSeen < maxTrain { trainer.add(text) }
        }

        let tokenizer: BPETokenizer
        if let p = config.tokenizer.path {
            tokenizer = try BPETokenizer.load(from: URL(fileURLWithPath: p))
        } else {
            progress?("tokenizer: training byte-level BPE, vocabulary \(config.tokenizer.vocabSize), on \(trainer.bytesSeen) bytes")
            tokenizer = try trainer.train(vocabSize: config.tokenizer.vocabSize, minFrequency: config.tokenizer.minFrequency)
            report.tokenizerTrainedOnBytes = trainer.bytesSeen
        }
        trainer = BPETrainer()
        report.tokenizerVocab = tokenizer.vocabSize
        try tokenizer.save(to: output.appendingPathComponent("tokenizer.json"))

        // Pass 3: encode and shard
        let trainW = ShardWriter(directory: output, prefix: "train", vocabSize: tokenizer.vocabSize, endOfText: tokenizer.endOfText,
                                 maxTokensPerShard: config.shards.maxTokensPerShard)
        let valW = ShardWriter(directory: output, prefix: "val", vocabSize: tokenizer.vocabSize, endOfText: tokenizer.endOfText,
                               maxTokensPerShard: config.shards.maxTokensPerShard)
        let encoders = (0 ..< threads).map { _ in BPEEncoder(tokenizer) }
        let valCut = UInt64(config.shards.valFraction * 4_294_967_296.0)
        var pending: [(Int, String)] = []
        var pendingBytes = 0
        func flushEncode() throws {
            guard !pending.isEmpty else { return }
            let n = pending.count
            let nt = min(encoders.count, n)
            var toks = [[UInt32]](repeating: [], count: n)
            let docs = pending
            let perThread = OnePerWorker(encoders)
            toks.withUnsafeMutableBufferPointer { tb in
                let out = DisjointSlots(tb)
                DispatchQueue.concurrentPerform(iterations: nt) { t in
                    var i = t
                    while i < n {
                        out[i] = perThread[t].encode(docs[i].1)
                        i += nt
                    }
                }
            }
            for (k, (i, text)) in pending.enumerated() {
                let isVal = config.shards.valFraction > 0 && (UInt64(splitHash[i]) < valCut || i == minHashIndex)
                let extra = tokenizer.endOfText == nil ? 0 : 1
                if isVal {
                    try valW.append(document: toks[k])
                    report.val.documents += 1; report.val.tokens += toks[k].count + extra; report.val.bytes += text.utf8.count
                } else {
                    try trainW.append(document: toks[k])
                    report.train.documents += 1; report.train.tokens += toks[k].count + extra; report.train.bytes += text.utf8.count
                }
            }
            pending.removeAll(keepingCapacity: true)
            pendingBytes = 0
        }
        try KeptStoreReader.forEach(keptURL) { i, _, text, _ in
            guard keep[i] else { return }
            pending.append((i, text))
            pendingBytes += text.utf8.count
            if pending.count >= 256 * threads || pendingBytes >= 16 << 20 { try flushEncode() }
        }
        try flushEncode()
        let shards = try trainW.close() + valW.close()

        report.computeStages(ingested: reader.documentsRead)
        report.seconds = Date().timeIntervalSince(t0)
        var manifest = ShardManifest(vocabSize: tokenizer.vocabSize, endOfText: tokenizer.endOfText, valFraction: config.shards.valFraction)
        manifest.inputDocuments = reader.documentsRead
        manifest.inputBytes = reader.bytesRead
        manifest.keptDocuments = report.train.documents + report.val.documents
        manifest.keptBytes = report.train.bytes + report.val.bytes
        manifest.train = report.train
        manifest.val = report.val
        manifest.dropped = report.drops.counts
        manifest.shards = shards
        try manifest.save(to: output)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(report).write(to: output.appendingPathComponent("report.json"), options: .atomic)
        try Data(report.markdown().utf8).write(to: output.appendingPathComponent("report.md"), options: .atomic)
        return report
    }
}
