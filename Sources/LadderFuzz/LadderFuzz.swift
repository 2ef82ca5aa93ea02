import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `ladder-fuzz TARGET [libFuzzer options] [CORPUS...]`: one libFuzzer entry for every parser of a
/// user file (`FuzzTarget.all`). Built by `.ci/fuzz` with coverage, AddressSanitizer and
/// libFuzzer's driver (`LLVMFuzzerRunDriver`, found at run time); in an ordinary build, where
/// libFuzzer is absent, it replays the files it is given once each (a regression check).
@main
enum LadderFuzz {
    nonisolated(unsafe) static var target: FuzzTarget!

    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count >= 2, let chosen = FuzzTarget.named(arguments[1]) else {
            let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: ladder-fuzz TARGET [libFuzzer options] [CORPUS...]; targets: \(names)\n".utf8))
            exit(2)
        }
        target = chosen
        arguments.remove(at: 1)
        typealias Driver = @convention(c) (UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                           @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
        if let symbol = dlsym(nil, "LLVMFuzzerRunDriver") {  // RTLD_DEFAULT: this executable and its libraries
            let driver = unsafeBitCast(symbol, to: Driver.self)
            var argc = CInt(arguments.count)
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            let status = argv.withUnsafeMutableBufferPointer { buffer -> CInt in
                var base: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
                return driver(&argc, &base) { data, count in
                    LadderFuzz.one(data.map { Data(bytes: $0, count: count) } ?? Data())
                    return 0
                }
            }
            exit(status)
        }
        // no libFuzzer: replay each file (or each file in each folder) once
        var files: [String] = []
        for path in arguments.dropFirst() where !path.hasPrefix("-") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                files += ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        for file in files { one(FileManager.default.contents(atPath: file) ?? Data()) }
        print("\(chosen.name): replayed \(files.count) input(s) without a crash")
    }

    static func one(_ data: Data) {
        do { try target.run(data) } catch {}
    }
}
