import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// `{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian tensor bytes. Written atomically: temporary file, fsync, rename.
public enum Safetensors {
    public struct Entry {
        public var name: String
        public var shape: [Int]
        public var data: UnsafeBufferPointer<Float>
        public init(name: String, shape: [Int], data: UnsafeBufferPointer<Float>) {
            self.name = name; self.shape = shape; self.data = data
        }
    }

    public static func write(_ entries: [Entry], metadata: [String: String], to url: URL) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for e in entries {
            precondition(e.shape.reduce(1, *) == e.data.count, "shape \(e.shape) does not match \(e.data.count) values of \(e.name)")
            header[e.name] = ["dtype": "F32", "shape": e.shape, "data_offsets": [offset, offset + e.data.count * 4]]
            offset += e.data.count * 4
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces: data starts 8-aligned
        var file = Data()
        file.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        for e in entries { file.append(UnsafeBufferPointer(start: UnsafeRawPointer(e.data.baseAddress!).assumingMemoryBound(to: UInt8.self), count: e.data.count * 4)) }
        try AtomicFile.write(file, to: url)
    }

    public struct File {
        public var metadata: [String: String]
        public var tensors: [String: (shape: [Int], values: [Float])]
    }

    public static func read(_ url: URL) throws -> File {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingError.checkpoint("cannot read \(url.path)")
        }
        return try parse(data, path: url.path)
    }

    /// Parses a whole safetensors file (F32 tensors only). Every size in it is checked before it
    /// is used: a damaged or hostile header is an error naming the file, never a trap.
    public static func parse(_ data: Data, path: String) throws -> File {
        guard data.count >= 8 else { throw TrainingError.checkpoint("\(path) is too short to be safetensors") }
        let declared = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared > 0, declared <= UInt64(data.count - 8) else {
            throw TrainingError.checkpoint("\(path): the safetensors header claims \(declared) bytes, the file has \(data.count - 8) after the length")
        }
        let n = Int(declared)
        let start = data.startIndex
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: (start + 8)..<(start + 8 + n))) as? [String: Any] else {
            throw TrainingError.checkpoint("\(path) has no valid safetensors header (not a JSON object)")
        }
        var file = File(metadata: header["__metadata__"] as? [String: String] ?? [:], tensors: [:])
        let body = 8 + n
        let available = data.count - body
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], info["dtype"] as? String == "F32",
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2,
                  shape.count <= 8, shape.allSatisfy({ $0 >= 0 }),
                  offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= available else {
                throw TrainingError.checkpoint("\(path): tensor \(name) is malformed or not F32")
            }
            var count = 1
            for dim in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= available / 4 else {
                    throw TrainingError.checkpoint("\(path): tensor \(name) has shape \(shape), larger than the file")
                }
                count = product
            }
            guard offsets[1] - offsets[0] == count * 4 else {
                throw TrainingError.checkpoint("\(path): tensor \(name) has shape \(shape) (\(count * 4) bytes) but data_offsets span \(offsets[1] - offsets[0]) bytes")
            }
            var values = [Float](repeating: 0, count: count)
            _ = values.withUnsafeMutableBytes { dst in
                data.copyBytes(to: dst, from: (start + body + offsets[0])..<(start + body + offsets[1]))
            }
            file.tensors[name] = (shape, values)
        }
        return file
    }
}

/// Crash-safe file replacement: write a temporary file beside the target, fsync it, rename over
/// the target, fsync the folder. A crash leaves either the old file or the new one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tmp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: tmp.path, contents: nil) else {
            throw TrainingError.checkpoint("cannot create \(tmp.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: tmp)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw TrainingError.checkpoint("cannot write \(url.path): \(error.localizedDescription)")
        }
        if rename(tmp.path, url.path) != 0 {
            let e = errno
            try? FileManager.default.removeItem(at: tmp)
            throw TrainingError.checkpoint("cannot rename into \(url.path) (errno \(e))")
        }
        let fd = open(folder.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
