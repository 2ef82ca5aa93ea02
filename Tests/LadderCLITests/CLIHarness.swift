import Foundation
import XCTest

/// Runs the built `ladder` executable in a scratch folder, as a user would.
struct CLIHarness {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: folder) }

    /// The executable built beside the test bundle.
    static var executable: URL {
        let candidates = [Bundle.main.bundleURL, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            + Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        for dir in candidates {
            let url = dir.appendingPathComponent("ladder")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("ladder")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// A fake trainer command `NAME OUT N D`: writes `{"loss": L}` to OUT with L from Chinchilla's
    /// published law (Hoffmann et al. 2022) at (N, D); it sleeps `sleep` seconds first, and fails
    /// (exit 3, an error on stderr) while a file named `failWhenExists` is in the scratch folder.
    func writeLawTrainer(_ name: String, sleep: Double? = nil, failWhenExists: String? = nil) throws {
        var script = "#!/bin/sh\n"
        if let sleep { script += "sleep \(sleep)\n" }
        if let failWhenExists {
            script += "if [ -e \"\(path(failWhenExists))\" ]; then echo \"cannot open the data: no such file\" >&2; exit 3; fi\n"
        }
        script += #"awk -v n="$2" -v d="$3" 'BEGIN { printf "{\"loss\": %.12f}", 1.69 + 406.4 / n^0.34 + 410.7 / d^0.28 }' > "$1""# + "\n"
        try write(name, script)
        chmod(path(name), 0o755)
    }

    /// Runs `ladder ARGS` with the scratch folder as working directory.
    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LADDER_DB")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and asserts success, returning standard output.
    func ok(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try run(arguments)
        XCTAssertEqual(r.status, 0, "ladder \(arguments.joined(separator: " ")) failed: \(r.stderr)", file: file, line: line)
        return r.stdout
    }
}
