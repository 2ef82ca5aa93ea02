import Foundation

/// Enough of PNG to read a browser's screenshot: 8-bit greyscale, RGB or RGBA, not interlaced,
/// with a DEFLATE decoder (RFC 1951) for the image data.
struct PNGImage {
    var width: Int
    var height: Int
    /// RGB bytes, row after row.
    var rgb: [UInt8]

    enum Failure: Error, CustomStringConvertible {
        case invalid(String)
        var description: String { if case let .invalid(m) = self { return "PNG: \(m)" }; return "PNG" }
    }

    init(data: Data) throws {
        let b = [UInt8](data)
        guard b.count > 8, b[0..<8].elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else { throw Failure.invalid("no PNG signature") }
        func u32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        var pos = 8
        var idat: [UInt8] = []
        var w = 0, h = 0, depth = 0, colorType = 0, interlace = 0
        while pos + 8 <= b.count {
            let length = u32(pos)
            let type = String(decoding: b[(pos + 4)..<(pos + 8)], as: UTF8.self)
            let start = pos + 8
            guard start + length + 4 <= b.count else { throw Failure.invalid("truncated chunk \(type)") }
            switch type {
            case "IHDR":
                w = u32(start); h = u32(start + 4); depth = Int(b[start + 8]); colorType = Int(b[start + 9]); interlace = Int(b[start + 12])
            case "IDAT": idat += b[start..<(start + length)]
            default: break
            }
            pos = start + length + 4
            if type == "IEND" { break }
        }
        guard depth == 8, interlace == 0, [0, 2, 6].contains(colorType) else {
            throw Failure.invalid("unsupported format: depth \(depth), colour type \(colorType), interlace \(interlace)")
        }
        guard idat.count > 2 else { throw Failure.invalid("no image data") }
        let raw = try Inflate.decode(Array(idat[2...]))
        let channels = colorType == 6 ? 4 : colorType == 2 ? 3 : 1
        let stride = w * channels
        guard raw.count >= h * (stride + 1) else { throw Failure.invalid("image data too short: \(raw.count) < \(h * (stride + 1))") }
        var pixels = [UInt8](repeating: 0, count: h * stride)
        for y in 0..<h {
            let filter = raw[y * (stride + 1)]
            let src = y * (stride + 1) + 1, dst = y * stride
            for x in 0..<stride {
                let a = x >= channels ? Int(pixels[dst + x - channels]) : 0
                let up = y > 0 ? Int(pixels[dst - stride + x]) : 0
                let c = (x >= channels && y > 0) ? Int(pixels[dst - stride + x - channels]) : 0
                let v = Int(raw[src + x])
                let out: Int
                switch filter {
                case 0: out = v
                case 1: out = v + a
                case 2: out = v + up
                case 3: out = v + (a + up) / 2
                case 4:
                    let p = a + up - c, pa = abs(p - a), pb = abs(p - up), pc = abs(p - c)
                    out = v + (pa <= pb && pa <= pc ? a : pb <= pc ? up : c)
                default: throw Failure.invalid("bad filter \(filter) on row \(y)")
                }
                pixels[dst + x] = UInt8(truncatingIfNeeded: out)
            }
        }
        width = w; height = h
        rgb = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) {
            for k in 0..<3 { rgb[3 * i + k] = pixels[i * channels + (channels == 1 ? 0 : k)] }
        }
    }

    func pixel(_ x: Int, _ y: Int) -> (Int, Int, Int) {
        let i = 3 * (y * width + x)
        return (Int(rgb[i]), Int(rgb[i + 1]), Int(rgb[i + 2]))
    }
}

/// DEFLATE decoding (stored, fixed and dynamic Huffman blocks), after Mark Adler's puff.c.
enum Inflate {
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []
        init(lengths: [Int]) {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var offsets = [Int](repeating: 0, count: 16)
            for l in 1..<16 { offsets[l] = offsets[l - 1] + counts[l - 1] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (s, l) in lengths.enumerated() where l != 0 { symbols[offsets[l]] = s; offsets[l] += 1 }
        }
    }

    struct Bits {
        let data: [UInt8]
        var pos = 0, bit = 0
        mutating func get(_ n: Int) throws -> Int {
            var v = 0
            for i in 0..<n {
                guard pos < data.count else { throw PNGImage.Failure.invalid("deflate stream ends early") }
                v |= Int((data[pos] >> bit) & 1) << i
                bit += 1
                if bit == 8 { bit = 0; pos += 1 }
            }
            return v
        }
        mutating func decode(_ h: Huffman) throws -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try get(1)
                let count = h.counts[len]
                if code - count < first { return h.symbols[index + code - first] }
                index += count; first += count; first <<= 1; code <<= 1
            }
            throw PNGImage.Failure.invalid("bad Huffman code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                           4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func decode(_ input: [UInt8]) throws -> [UInt8] {
        var s = Bits(data: input)
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 4)
        let fixedLit = Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
        let fixedDist = Huffman(lengths: [Int](repeating: 5, count: 30))
        var last = 0
        repeat {
            last = try s.get(1)
            switch try s.get(2) {
            case 0:
                if s.bit != 0 { s.bit = 0; s.pos += 1 }
                guard s.pos + 4 <= input.count else { throw PNGImage.Failure.invalid("stored block header") }
                let len = Int(input[s.pos]) | Int(input[s.pos + 1]) << 8
                s.pos += 4
                guard s.pos + len <= input.count else { throw PNGImage.Failure.invalid("stored block overruns") }
                out += input[s.pos..<(s.pos + len)]
                s.pos += len
            case 1: try codes(&s, &out, fixedLit, fixedDist)
            case 2:
                let nlen = try s.get(5) + 257, ndist = try s.get(5) + 1, ncode = try s.get(4) + 4
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var lengths = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { lengths[order[i]] = try s.get(3) }
                let lencode = Huffman(lengths: lengths)
                var all: [Int] = []
                while all.count < nlen + ndist {
                    let sym = try s.decode(lencode)
                    switch sym {
                    case 0..<16: all.append(sym)
                    case 16:
                        guard let prev = all.last else { throw PNGImage.Failure.invalid("repeat with no length") }
                        all += [Int](repeating: prev, count: 3 + (try s.get(2)))
                    case 17: all += [Int](repeating: 0, count: 3 + (try s.get(3)))
                    default: all += [Int](repeating: 0, count: 11 + (try s.get(7)))
                    }
                }
                try codes(&s, &out, Huffman(lengths: Array(all[0..<nlen])), Huffman(lengths: Array(all[nlen..<(nlen + ndist)])))
            default: throw PNGImage.Failure.invalid("bad block type")
            }
        } while last == 0
        return out
    }

    static func codes(_ s: inout Bits, _ out: inout [UInt8], _ lit: Huffman, _ dist: Huffman) throws {
        while true {
            let sym = try s.decode(lit)
            if sym < 256 { out.append(UInt8(sym)); continue }
            if sym == 256 { return }
            let li = sym - 257
            guard li < 29 else { throw PNGImage.Failure.invalid("bad length symbol") }
            let len = lengthBase[li] + (try s.get(lengthExtra[li]))
            let di = try s.decode(dist)
            guard di < 30 else { throw PNGImage.Failure.invalid("bad distance symbol") }
            let d = distBase[di] + (try s.get(distExtra[di]))
            guard d <= out.count else { throw PNGImage.Failure.invalid("distance too far back") }
            let start = out.count - d
            for i in 0..<len { out.append(out[start + i]) }
        }
    }
}
