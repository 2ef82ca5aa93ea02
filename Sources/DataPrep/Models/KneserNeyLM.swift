import Foundation

/// Interpolated Kneser-Ney n-gram language model over `LMTokenizer` words (Chen & Goodman 1998,
/// one discount per order D_k = n1 / (n1 + 2 n2) from the count-of-counts).
///
///     P_1(w)     = max(N1+(. w) - D_1, 0) / N1+(. .) + D_1 T_1 / N1+(. .) * 1/|V|
///     P_k(w | h) = max(c_k(h w) - D_k, 0) / S(h) + D_k T(h) / S(h) * P_{k-1}(w | h')
///
/// where c_N are raw counts at the highest order and continuation counts N1+(. h w) below it,
/// S(h) = sum over w of c_k(h w), T(h) = number of distinct w after h, h' = h without its first
/// word; an unseen context backs off completely (P_k = P_{k-1}). Each line is a sentence padded
/// with N-1 `<s>` and ended by `</s>`; words outside the training vocabulary are `<unk>`.
/// The vocabulary V = training words + `</s>` + `<unk>`, and sum over V of P(w | h) = 1 for every h.
public struct KneserNeyLM: Sendable {
    public let order: Int
    /// Distinct training words (not including `</s>` and `<unk>`).
    public let wordCount: Int
    var vocab: UInt64Map // token hash -> id
    let bos: UInt32, eos: UInt32, unk: UInt32
    /// Per order k (index k-1): n-gram key -> index into counts/ctx, and discount.
    var ngram: [UInt64Map]
    var counts: [[Int32]]
    var ctxIndex: [UInt64Map]
    var ctxSum: [[Int32]]
    var ctxTypes: [[Int32]]
    var discount: [Double]
    var unigramTotal: Double
    var unigramTypes: Double

    public var vocabularySize: Int { wordCount + 2 }

    static func key(_ ids: ArraySlice<UInt32>) -> UInt64 {
        var h: UInt64 = 0x8F1B_BCDC_A4E6_9D3B
        for id in ids {
            h = (h ^ UInt64(id)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 31
        }
        return h == UInt64.max ? 0 : h
    }

    /// Trains on reference texts.
    public init<S: Sequence>(order: Int = 5, texts: S) where S.Element == String {
        precondition(order >= 1, "order must be at least 1")
        self.order = order
        var vocab = UInt64Map(capacity: 1 << 14)
        var nextId: UInt32 = 3 // 0 <s>, 1 </s>, 2 <unk>
        bos = 0; eos = 1; unk = 2
        var ngram = (0 ..< order).map { _ in UInt64Map(capacity: 1 << 14) }
        var counts: [[Int32]] = Array(repeating: [], count: order)
        var ctxKeyOf: [[UInt64]] = Array(repeating: [], count: order)
        var seenHigher = (0 ..< order).map { _ in UInt64Map(capacity: 1 << 14) } // distinct (k+1)-grams, index k
        func bump(_ k: Int, _ ids: ArraySlice<UInt32>) {
            let key = Self.key(ids)
            let (idx, ins) = ngram[k - 1].getOrInsert(key) { Int32(counts[k - 1].count) }
            if ins {
                counts[k - 1].append(0)
                ctxKeyOf[k - 1].append(Self.key(ids.dropLast()))
            }
            counts[k - 1][Int(idx)] += 1
        }
        var ids: [UInt32] = []
        for text in texts {
            LMTokenizer.sentences(text) { toks, _ in
                ids.removeAll(keepingCapacity: true)
                for _ in 0 ..< order - 1 { ids.append(0) }
                for t in toks {
                    let (v, ins) = vocab.getOrInsert(t) { Int32(bitPattern: nextId) }
                    if ins { nextId += 1 }
                    ids.append(UInt32(v))
                }
                ids.append(1)
                for j in (order - 1) ..< ids.count {
                    // highest order: raw count
                    bump(order, ids[(j - order + 1) ... j])
                    // lower orders: continuation count when the (k+1)-gram ending here is new
                    if order >= 2 {
                        for k in 1 ..< order {
                            let longer = ids[(j - k) ... j]
                            let (_, ins) = seenHigher[k].getOrInsert(Self.key(longer)) { 0 }
                            if ins { bump(k, ids[(j - k + 1) ... j]) }
                        }
                    }
                }
            }
        }
        self.vocab = vocab
        wordCount = Int(nextId) - 3
        // context statistics and discounts
        var ctxIndex = (0 ..< order).map { _ in UInt64Map(capacity: 1 << 12) }
        var ctxSum: [[Int32]] = Array(repeating: [], count: order)
        var ctxTypes: [[Int32]] = Array(repeating: [], count: order)
        var discount = [Double](repeating: 0.5, count: order)
        for k in 0 ..< order {
            var n1 = 0, n2 = 0
            for (i, c) in counts[k].enumerated() {
                if c == 1 { n1 += 1 } else if c == 2 { n2 += 1 }
                let (ci, ins) = ctxIndex[k].getOrInsert(ctxKeyOf[k][i]) { Int32(ctxSum[k].count) }
                if ins { ctxSum[k].append(0); ctxTypes[k].append(0) }
                ctxSum[k][Int(ci)] += c
                ctxTypes[k][Int(ci)] += 1
            }
            if n1 > 0 && n2 > 0 { discount[k] = min(max(Double(n1) / Double(n1 + 2 * n2), 0.05), 0.95) }
        }
        self.ngram = ngram
        self.counts = counts
        self.ctxIndex = ctxIndex
        self.ctxSum = ctxSum
        self.ctxTypes = ctxTypes
        self.discount = discount
        unigramTotal = Double(counts[0].reduce(0) { $0 + Int($1) })
        unigramTypes = Double(counts[0].count)
    }

    func id(_ tokenHash: UInt64) -> UInt32 {
        vocab.get(tokenHash).map { UInt32($0) } ?? unk
    }

    /// P(w | history) with ids; `history` holds at least order-1 ids (padded with <s>).
    func probability(_ w: UInt32, history h: ArraySlice<UInt32>) -> Double {
        var ids = Array(h.suffix(order - 1))
        ids.append(w)
        let n = ids.count
        let d1 = discount[0]
        let c1 = ngram[0].get(Self.key(ids[(n - 1)...])).map { Double(counts[0][Int($0)]) } ?? 0
        var p: Double
        if unigramTotal > 0 {
            p = max(c1 - d1, 0) / unigramTotal + d1 * unigramTypes / unigramTotal / Double(vocabularySize)
        } else {
            p = 1 / Double(vocabularySize)
        }
        if order >= 2 {
            for k in 2 ... order {
                let ctx = ids[(n - k) ..< (n - 1)]
                guard let ci = ctxIndex[k - 1].get(Self.key(ctx)) else { continue }
                let s = Double(ctxSum[k - 1][Int(ci)])
                let t = Double(ctxTypes[k - 1][Int(ci)])
                let c = ngram[k - 1].get(Self.key(ids[(n - k)...])).map { Double(counts[k - 1][Int($0)]) } ?? 0
                let d = discount[k - 1]
                p = max(c - d, 0) / s + d * t / s * p
            }
        }
        return p
    }

    /// P(word | context words); "</s>" is the end of sentence, unknown words map to `<unk>`.
    /// The context is the sentence so far (padded with `<s>` at the start).
    public func probability(of word: String, after context: [String]) -> Double {
        let w = word == "</s>" ? eos : (word == "<unk>" ? unk : id(LMTokenizer.hash(word)))
        var h = [UInt32](repeating: bos, count: order - 1)
        h += context.map { id(LMTokenizer.hash($0)) }
        return probability(w, history: h[...])
    }

    /// Perplexity exp(-mean log P) over all tokens (and end-of-sentence marks) of `text`;
    /// nil if the text has no tokens.
    public func perplexity(_ text: String) -> Double? {
        var logSum = 0.0
        var n = 0
        var ids: [UInt32] = []
        LMTokenizer.sentences(text) { toks, _ in
            ids.removeAll(keepingCapacity: true)
            for _ in 0 ..< order - 1 { ids.append(bos) }
            for t in toks { ids.append(id(t)) }
            ids.append(eos)
            for j in (order - 1) ..< ids.count {
                logSum += log(probability(ids[j], history: ids[(j - order + 1) ..< j]))
                n += 1
            }
        }
        return n == 0 ? nil : exp(-logSum / Double(n))
    }
}
