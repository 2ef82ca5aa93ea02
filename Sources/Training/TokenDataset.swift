import DataPrep
import Foundation
import Randomness

/// Training and validation tokens in memory, and how many bytes of text a token stands for
/// (to report bits per byte). Token ids fit in Int32.
public struct TokenDataset: Sendable {
    public var train: [Int32]
    public var validation: [Int32]
    public var vocab: Int
    public var bytesPerToken: Double
    public var source: String
    /// How training windows are drawn (see ``Sampling``).
    public var sampling: Sampling = .random

    public init(train: [Int32], validation: [Int32], vocab: Int, bytesPerToken: Double, source: String,
                sampling: Sampling = .random) {
        self.train = train; self.validation = validation; self.vocab = vocab
        self.bytesPerToken = bytesPerToken; self.source = source; self.sampling = sampling
    }

    /// Byte-level tokens of a text file (vocab 256; `.gz` files are decompressed), split into
    /// training and validation by `split` (the file's tail of `valFraction`, or interleaved blocks).
    public static func bytes(of path: String, valFraction: Double, split: Split = .tail,
                             splitBlock: Int = 8192) throws -> TokenDataset {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError.data("\(path): no such file")
        }
        let data = path.hasSuffix(".gz") ? try gunzip(path) : FileManager.default.contents(atPath: path)
        guard let data, !data.isEmpty else {
            throw TrainingError.data("cannot read \(path), or it is empty")
        }
        if let problem = TextCheck.problem(data) {
            throw TrainingError.data("\(path) does not look like a text corpus (\(problem)); data.path takes a UTF-8 text file (optionally .gz) or a `ladder data prepare` folder")
        }
        let parts = Self.split(data.map { Int32($0) }, valFraction: valFraction, split: split, block: splitBlock)
        return TokenDataset(train: parts.train, validation: parts.validation, vocab: 256, bytesPerToken: 1, source: path)
    }

    /// Tokens of a `ladder data prepare` output folder (or its manifest.json): the manifest's
    /// train and validation shards, its vocabulary, and bits per byte from its byte counts.
    public static func shards(at path: String) throws -> TokenDataset {
        var folder = URL(fileURLWithPath: path)
        if folder.lastPathComponent == ShardManifest.fileName { folder.deleteLastPathComponent() }
        do {
            let train = try ShardSet(directory: folder, split: "train")
            let val = try ShardSet(directory: folder, split: "val")
            let m = train.manifest
            let bytesPerToken = m.train.tokens > 0 ? Double(m.train.bytes) / Double(m.train.tokens) : 1
            return TokenDataset(train: train.tokens(0..<train.count), validation: val.tokens(0..<val.count),
                                vocab: m.vocabSize, bytesPerToken: bytesPerToken, source: folder.path)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.data("\(folder.path): cannot read token shards: \(error)")
        }
    }

    /// A text file (bytes) or a token-shard folder / manifest, by what `path` is.
    public static func load(_ config: TrainConfig.DataConfig) throws -> TokenDataset {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: config.path, isDirectory: &isDirectory)
        var dataset: TokenDataset
        if exists && isDirectory.boolValue || config.path.hasSuffix(".json") {
            dataset = try shards(at: config.path)
        } else {
            dataset = try bytes(of: config.path, valFraction: config.valFraction, split: config.split,
                                splitBlock: config.splitBlock)
        }
        dataset.sampling = config.sampling
        return dataset
    }

    /// Checks that windows of T + 1 tokens fit in both splits and that ids fit the model.
    public func check(seqLen T: Int, modelVocab: Int) throws {
        if train.count < T + 1 {
            throw TrainingError.data("\(source): the training split has \(train.count) tokens, fewer than one window of seq_len + 1 = \(T + 1); use a shorter model.seq_len or more data")
        }
        if validation.count < T + 1 {
            throw TrainingError.data("\(source): the validation split has \(validation.count) tokens, fewer than one window of seq_len + 1 = \(T + 1); raise data.val_fraction or use more data")
        }
        if vocab > modelVocab {
            throw TrainingError.data("\(source): the data's vocabulary (\(vocab)) is larger than model.vocab (\(modelVocab))")
        }
    }

    /// Fills inputs and next-token targets (B, T) with B random windows of the training split.
    public func sampleTrain(B: Int, T: Int, rng: inout SplitMix64,
                            inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        let span = UInt64(train.count - T)
        train.withUnsafeBufferPointer { t in
            for b in 0..<B {
                let start = Int(rng.next() % span)
                (inputs + b * T).update(from: t.baseAddress! + start, count: T)
                (targets + b * T).update(from: t.baseAddress! + start + 1, count: T)
            }
        }
    }

    /// Validation batch `index` of `count`: windows spread evenly over the split, the same at
    /// every evaluation so curves compare.
    public func validationBatch(_ index: Int, of count: Int, B: Int, T: Int,
                                inputs: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Int32>) {
        let windows = count * B
        let span = validation.count - T - 1
        validation.withUnsafeBufferPointer { v in
            for b in 0..<B {
                let w = index * B + b
                let start = windows > 1 ? span * w / (windows - 1) : 0
                (inputs + b * T).update(from: v.baseAddress! + start, count: T)
                (targets + b * T).update(from: v.baseAddress! + start + 1, count: T)
            }
        }
    }
}

/// The decompressed contents of a gzip file, through the system's gzip.
func gunzip(_ path: String) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-dc", path]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { throw TrainingError.data("cannot run gzip to read \(path): \(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TrainingError.data("\(path) is not a valid gzip file") }
    return data
}
