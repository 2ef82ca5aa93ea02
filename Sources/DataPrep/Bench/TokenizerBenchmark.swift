import Foundation

/// Tokenizer benchmark measured the way `shared/bench/tokenize_hf.py` measures Hugging Face
/// `tokenizers`: the files are concatenated, split into documents on blank lines ("\n\n", blank
/// documents dropped), the BPE is trained on the documents (min frequency 2), then every document
/// is encoded on one thread.
public struct TokenizerBenchmark: Codable, Sendable {
    public var system = "ladder-bpe"
    public var vocab: Int
    public var threads = 1
    public var mb: Double
    public var train_s: Double
    public var encode_mb_per_s: Double
    public var bytes_per_token: Double
    public var round_trip_ok: Bool

    public static func run(files: [URL], vocabSize: Int) throws -> TokenizerBenchmark {
        var text = ""
        for f in files {
            let d = try Data(contentsOf: f)
            text += String(decoding: d, as: UTF8.self)
        }
        let docs = text.components(separatedBy: "\n\n").filter { !$0.allSatisfy(\.isWhitespace) }
        let mb = Double(text.utf8.count) / 1e6
        let t0 = DispatchTime.now().uptimeNanoseconds
        var trainer = BPETrainer()
        for d in docs { trainer.add(d) }
        let tok = try trainer.train(vocabSize: vocabSize, minFrequency: 2, specialTokens: [])
        let t1 = DispatchTime.now().uptimeNanoseconds
        let enc = BPEEncoder(tok)
        var nTok = 0
        var ids: [UInt32] = []
        var ok = true
        let t2 = DispatchTime.now().uptimeNanoseconds
        for d in docs {
            ids.removeAll(keepingCapacity: true)
            var s = d
            s.withUTF8 { enc.encode($0, into: &ids) }
            nTok += ids.count
        }
        let t3 = DispatchTime.now().uptimeNanoseconds
        // correctness spot check outside the timed region
        for d in docs.prefix(200) where try tok.decode(enc.encode(d)) != d { ok = false }
        return TokenizerBenchmark(vocab: tok.vocabSize, mb: (mb * 100).rounded() / 100,
                                  train_s: Double(t1 - t0) / 1e9,
                                  encode_mb_per_s: mb / (Double(t3 - t2) / 1e9),
                                  bytes_per_token: mb * 1e6 / Double(max(nTok, 1)), round_trip_ok: ok)
    }
}
