/// Result of the per-document stages (normalize, heuristic filters, dedup fingerprint, perplexity).
struct ProcessedDocument {
    var id: String
    var text: String
    /// Drop reason of the first failing rule, nil if kept so far.
    var drop: String?
    var lineRemovals: [String: Int] = [:]
    var exact = SIMD2<UInt64>(0, 0)
    var bands: [UInt64] = []
    var perplexity: Double = .nan
}

/// Per-thread worker running the document-local stages in FineWeb's order:
/// normalize -> Gopher repetition -> Gopher quality -> C4 (removes lines) -> FineWeb -> fingerprint
/// (-> perplexity when an LM is given). Not thread-safe; one per worker thread.
final class DocumentProcessor {
    let config: PrepareConfig
    let normalizer: TextNormalizer
    var repetition: GopherRepetitionFilter
    let quality: GopherQualityFilter
    let c4: C4Filter
    var fineweb: FineWebFilter
    let hasher: MinHasher
    let lm: KneserNeyLM?

    init(config: PrepareConfig, lm: KneserNeyLM?) {
        self.config = config
        normalizer = TextNormalizer(options: config.normalize)
        repetition = GopherRepetitionFilter(options: config.gopherRepetition)
        quality = GopherQualityFilter(options: config.gopherQuality)
        c4 = C4Filter(options: config.c4)
        fineweb = FineWebFilter(options: config.fineweb)
        hasher = MinHasher(shingleWords: config.dedup.shingleWords, functions: config.dedup.bands * config.dedup.rowsPerBand, seed: config.dedup.seed)
        self.lm = lm
    }

    func process(_ doc: Document) -> ProcessedDocument {
        var text = normalizer.normalize(doc.text)
        var out = ProcessedDocument(id: doc.id, text: text)
        if text.isEmpty {
            out.drop = "normalize.empty"
            return out
        }
        if config.gopherRepetition.enabled || config.gopherQuality.enabled {
            let stats = TextStats(text)
            if config.gopherRepetition.enabled, let r = repetition.check(stats) { out.drop = r; return out }
            if config.gopherQuality.enabled, let r = quality.check(stats) { out.drop = r; return out }
        }
        if config.c4.enabled {
            switch c4.apply(text, lineCounts: &out.lineRemovals) {
            case let .drop(r):
                out.drop = r
                return out
            case let .keep(t):
                text = t
                out.text = t
            }
        }
        if config.fineweb.enabled, let r = fineweb.check(text) { out.drop = r; return out }
        let fp = Deduplicator.fingerprint(text, options: config.dedup, hasher: hasher)
        out.exact = fp.exact
        out.bands = fp.bands
        if let lm = lm { out.perplexity = lm.perplexity(text) ?? .infinity }
        return out
    }
}
