import Foundation

/// Tokenizer settings for `ladder data prepare`.
public struct TokenizerOptions: Codable, Sendable, Equatable {
    /// Vocabulary size including the 256 byte tokens and `<|endoftext|>`.
    public var vocabSize = 8192
    public var minFrequency = 2
    /// Train on at most this many bytes of kept text (the first ones); 0 = all.
    public var maxTrainingBytes = 512 << 20
    /// Use this existing tokenizer.json instead of training one.
    public var path: String? = nil
    public init() {}
}

/// Shard settings.
public struct ShardOptions: Codable, Sendable, Equatable {
    /// Fraction of documents in the validation split (chosen by a hash of the document text, so
    /// the split is stable across runs).
    public var valFraction = 0.01
    public var maxTokensPerShard = 1 << 26
    public init() {}
}

/// Every setting of `ladder data prepare`. A JSON config file may give any subset (snake_case
/// keys, e.g. {"gopher_quality": {"min_words": 20}, "ingest": {"separator": "\n\n"}}); the rest
/// keeps these defaults. Unknown keys are an error naming the valid ones.
public struct PrepareConfig: Codable, Sendable, Equatable {
    public var ingest = IngestOptions()
    public var normalize = NormalizeOptions()
    public var gopherRepetition = GopherRepetitionOptions()
    public var gopherQuality = GopherQualityOptions()
    public var c4 = C4Options()
    public var fineweb = FineWebOptions()
    public var perplexity = PerplexityFilterOptions()
    public var classifier = ClassifierFilterOptions()
    public var dedup = DedupOptions()
    public var tokenizer = TokenizerOptions()
    public var shards = ShardOptions()
    /// Worker threads for filtering and encoding (0 = all cores).
    public var threads = 0
    /// Examples kept per drop reason in the report.
    public var reportExamples = 3
    public init() {}

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }

    /// Parses a JSON config, merging it over the defaults.
    public static func parse(json data: Data) throws -> PrepareConfig {
        let user: Any
        do { user = try JSONSerialization.jsonObject(with: data) } catch { throw ConfigError("config is not valid JSON: \(error.localizedDescription)") }
        guard let userDict = user as? [String: Any] else { throw ConfigError("config must be a JSON object") }
        let defaults = try JSONSerialization.jsonObject(with: encoder().encode(PrepareConfig())) as! [String: Any]
        let merged = try merge(defaults, userDict, path: "")
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        do {
            let config = try d.decode(PrepareConfig.self, from: JSONSerialization.data(withJSONObject: merged))
            try config.validate()
            return config
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw ConfigError("config value at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type: \(ctx.debugDescription)")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ConfigError("config value at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) is invalid: \(ctx.debugDescription)")
        }
    }

    /// Sizes that become allocations must be in range (overflow-free, within reason).
    public func validate() throws {
        if !(257...(1 << 24)).contains(tokenizer.vocabSize) { throw ConfigError("tokenizer.vocab_size must be in 257...\(1 << 24), got \(tokenizer.vocabSize)") }
        if tokenizer.minFrequency < 1 { throw ConfigError("tokenizer.min_frequency must be at least 1, got \(tokenizer.minFrequency)") }
        if tokenizer.maxTrainingBytes < 0 { throw ConfigError("tokenizer.max_training_bytes must be >= 0, got \(tokenizer.maxTrainingBytes)") }
        if !(shards.valFraction >= 0 && shards.valFraction <= 1) { throw ConfigError("shards.val_fraction must be in [0, 1], got \(shards.valFraction)") }
        if !(1...(1 << 32)).contains(shards.maxTokensPerShard) { throw ConfigError("shards.max_tokens_per_shard must be in 1...\(1 << 32), got \(shards.maxTokensPerShard)") }
        if !(0...4096).contains(threads) { throw ConfigError("threads must be in 0...4096 (0 = all cores), got \(threads)") }
        if reportExamples < 0 { throw ConfigError("report_examples must be >= 0, got \(reportExamples)") }
    }

    public static func load(from url: URL) throws -> PrepareConfig {
        switch url.pathExtension.lowercased() {
        case "json": return try parse(json: Data(contentsOf: url))
        default: throw ConfigError("config \(url.lastPathComponent): only JSON configs (.json) are supported")
        }
    }

    private static func merge(_ base: [String: Any], _ over: [String: Any], path: String) throws -> [String: Any] {
        var out = base
        for (k, v) in over {
            guard let b = base[k] else {
                // optional fields (nil by default) are absent from the encoded defaults
                if Self.optionalKeys.contains(path + k) { out[k] = v; continue }
                let valid = (base.keys.map { $0 } + Self.optionalKeys.filter { $0.hasPrefix(path) && !$0.dropFirst(path.count).contains(".") }.map { String($0.dropFirst(path.count)) }).sorted()
                throw ConfigError("unknown config key \"\(path + k)\"; valid keys here: \(valid.joined(separator: ", "))")
            }
            if let bd = b as? [String: Any], let vd = v as? [String: Any] {
                out[k] = try merge(bd, vd, path: path + k + ".")
            } else {
                out[k] = v
            }
        }
        return out
    }

    static let optionalKeys: Set<String> = ["ingest.separator", "tokenizer.path", ]

    /// The effective config as JSON (for the report).
    public func json() -> String {
        String(decoding: (try? Self.encoder().encode(self)) ?? Data(), as: UTF8.self)
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ m: String) { description = m }
}
