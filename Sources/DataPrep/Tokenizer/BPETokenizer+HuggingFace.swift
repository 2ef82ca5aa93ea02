import Foundation

/// GPT-2's reversible byte <-> printable-character map used by byte-level BPE vocabularies:
/// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100, U+0101, ...
/// (so the space byte 0x20 is written "Ġ" = U+0120).
public enum ByteLevelAlphabet {
    public static let byteToScalar: [Unicode.Scalar] = {
        var bs: [Int] = Array(0x21 ... 0x7E) + Array(0xA1 ... 0xAC) + Array(0xAE ... 0xFF)
        var cs = bs
        var n = 0
        for b in 0 ..< 256 where !bs.contains(b) {
            bs.append(b)
            cs.append(256 + n)
            n += 1
        }
        var out = [Unicode.Scalar](repeating: "\0", count: 256)
        for (b, c) in zip(bs, cs) { out[b] = Unicode.Scalar(UInt32(c))! }
        return out
    }()

    public static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { m[s.value] = UInt8(b) }
        return m
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    public static func decode(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        for u in s.unicodeScalars {
            guard let b = scalarToByte[u.value] else { return nil }
            out.append(b)
        }
        return out
    }
}

extension BPETokenizer {
    /// The tokenizer in Hugging Face `tokenizers` JSON format (model BPE, ByteLevel pre-tokenizer
    /// without prefix space, ByteLevel decoder, special tokens as `added_tokens`). Vocabulary in id
    /// order, merges in rank order as "left right" strings.
    public func huggingFaceJSON() -> String {
        var o = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        let specials = specialTokens.sorted { $0.value < $1.value }
        for (i, (content, id)) in specials.enumerated() {
            o += i == 0 ? "\n" : ",\n"
            o += "    {\"id\": \(id), \"content\": \(jsonString(content)), \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}"
        }
        o += specials.isEmpty ? "],\n" : "\n  ],\n"
        o += "  \"normalizer\": null,\n"
        o += "  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n"
        o += "  \"post_processor\": null,\n"
        o += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        o += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
        o += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
        o += "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n"
        o += "    \"vocab\": {"
        let specialIds = Set(specialTokens.values)
        var first = true
        for (id, bytes) in tokenBytes.enumerated() where !specialIds.contains(UInt32(id)) {
            o += first ? "\n" : ",\n"
            first = false
            o += "      \(jsonString(ByteLevelAlphabet.encode(bytes))): \(id)"
        }
        o += "\n    },\n    \"merges\": ["
        for (r, m) in merges.enumerated() {
            o += r == 0 ? "\n" : ",\n"
            let l = ByteLevelAlphabet.encode(tokenBytes[Int(m.left)])
            let rt = ByteLevelAlphabet.encode(tokenBytes[Int(m.right)])
            o += "      \(jsonString(l + " " + rt))"
        }
        o += "\n    ]\n  }\n}\n"
        return o
    }

    public func save(to url: URL) throws {
        try Data(huggingFaceJSON().utf8).write(to: url, options: .atomic)
    }

    public static func load(from url: URL) throws -> BPETokenizer {
        try BPETokenizer(huggingFaceJSON: try Data(contentsOf: url))
    }

    /// Largest vocabulary a tokenizer file may have (token ids are checked against it before use).
    public static let maxVocab = 1 << 24

    /// Loads a byte-level BPE tokenizer from Hugging Face `tokenizers` JSON (ours, or e.g. GPT-2's).
    public init(huggingFaceJSON data: Data) throws {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError.invalidFormat("not a JSON object")
        }
        guard let model = root["model"] as? [String: Any] else { throw TokenizerError.invalidFormat("missing \"model\"") }
        if let t = model["type"] as? String, t != "BPE" { throw TokenizerError.unsupported("model type \(t); only BPE is supported") }
        if let pre = root["pre_tokenizer"] as? [String: Any] {
            guard pre["type"] as? String == "ByteLevel" else {
                throw TokenizerError.unsupported("pre_tokenizer \(pre["type"] ?? "?"); only ByteLevel is supported")
            }
            if pre["add_prefix_space"] as? Bool == true { throw TokenizerError.unsupported("ByteLevel add_prefix_space=true") }
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw TokenizerError.invalidFormat("missing model.vocab") }
        var specials: [String: UInt32] = [:]
        for t in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let c = t["content"] as? String, let id = (t["id"] as? NSNumber)?.intValue, id >= 0, id < Self.maxVocab else {
                throw TokenizerError.invalidFormat("added token without content or id")
            }
            specials[c] = UInt32(id)
        }
        var maxId = specials.values.map(Int.init).max() ?? -1
        var byId: [Int: [UInt8]] = [:]
        for (k, v) in vocab {
            guard let id = (v as? NSNumber)?.intValue, id >= 0, id < Self.maxVocab else {
                throw TokenizerError.invalidFormat("vocab entry \(k) has no integer id in 0..<\(Self.maxVocab)")
            }
            guard let bytes = ByteLevelAlphabet.decode(k) else {
                throw TokenizerError.invalidFormat("vocab entry \(k) is not in the byte-level alphabet")
            }
            byId[id] = bytes
            maxId = max(maxId, id)
        }
        for (c, id) in specials where byId[Int(id)] == nil { byId[Int(id)] = Array(c.utf8) }
        // contiguous ids 0...maxId need that many entries: refuse before allocating for a huge id
        guard maxId < byId.count + specials.count else {
            throw TokenizerError.invalidFormat("token ids are not contiguous: the largest is \(maxId) but there are \(byId.count + specials.count) tokens")
        }
        var tokenBytes: [[UInt8]] = []
        tokenBytes.reserveCapacity(maxId + 1)
        for id in 0 ... max(maxId, 0) {
            guard let b = byId[id] else { throw TokenizerError.invalidFormat("token ids are not contiguous: id \(id) is missing") }
            tokenBytes.append(b)
        }
        var idOf: [[UInt8]: UInt32] = [:]
        for (id, b) in tokenBytes.enumerated() where !specials.values.contains(UInt32(id)) { idOf[b] = UInt32(id) }
        var byteToId = [UInt32](repeating: 0, count: 256)
        for b in 0 ..< 256 {
            guard let id = idOf[[UInt8(b)]] else { throw TokenizerError.invalidFormat("byte \(b) has no token") }
            byteToId[b] = id
        }
        var merges: [BPEMerge] = []
        for (r, m) in (model["merges"] as? [Any] ?? []).enumerated() {
            let parts: [String]
            if let s = m as? String {
                parts = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let a = m as? [String] {
                parts = a
            } else {
                throw TokenizerError.invalidFormat("merge \(r) is neither \"a b\" nor [a, b]")
            }
            guard parts.count == 2, let lb = ByteLevelAlphabet.decode(parts[0]), let rb = ByteLevelAlphabet.decode(parts[1]),
                  let l = idOf[lb], let rr = idOf[rb], let res = idOf[lb + rb]
            else { throw TokenizerError.invalidFormat("merge \(r) refers to tokens missing from the vocabulary") }
            merges.append(BPEMerge(left: l, right: rr, result: res))
        }
        try self.init(tokenBytes: tokenBytes, byteToId: byteToId, merges: merges, specialTokens: specials)
    }
}

/// JSON string literal with escapes for quote, backslash and control characters.
func jsonString(_ s: String) -> String {
    var o = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": o += "\\\""
        case "\\": o += "\\\\"
        case "\n": o += "\\n"
        case "\r": o += "\\r"
        case "\t": o += "\\t"
        default:
            if u.value < 0x20 {
                o += String(format: "\\u%04x", u.value)
            } else {
                o.unicodeScalars.append(u)
            }
        }
    }
    return o + "\""
}
