import Foundation
import Store
import XCTest

final class StoreCommandTests: XCTestCase {
    var cli: CLIHarness!
    override func setUpWithError() throws { cli = try CLIHarness() }
    override func tearDown() { cli.cleanUp() }

    func testHelpDescribesCommands() throws {
        let help = try cli.ok(["--help"])
        for command in ["import", "runs", "export"] { XCTAssertTrue(help.contains(command), help) }
        let importHelp = try cli.ok(["help", "import"])
        XCTAssertTrue(importHelp.contains("params"), importHelp)
        XCTAssertTrue(importHelp.contains("--db"), importHelp)
    }

    func testImportListExportRoundTripWithDefaultPath() throws {
        try cli.write("runs.csv", "name,params,tokens,loss\nsmall,1e7,2e8,3.5\nbig,1e8,2e9,3.0\n")
        let out = try cli.ok(["import", "runs.csv", "--sweep", "paper"])
        XCTAssertTrue(out.contains("imported 2 run(s)"), out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("Results/ladder.sqlite")))

        let table = try cli.ok(["runs", "--sweep", "paper"])
        XCTAssertTrue(table.contains("small") && table.contains("big"), table)
        XCTAssertTrue(table.contains("3.5000"), table)

        let json = try cli.ok(["runs", "--json", "--status", "done"])
        let decoded = try JSONDecoder().decode([ExportedRun].self, from: Data(json.utf8))
        XCTAssertEqual(decoded.map(\.name), ["small", "big"])
        XCTAssertEqual(decoded.map(\.flops), [6 * 1e7 * 2e8, 6 * 1e8 * 2e9])

        _ = try cli.ok(["export", "--format", "csv", "--out", "out.csv"])
        let exported = try String(contentsOfFile: cli.path("out.csv"), encoding: .utf8)
        let back = try RunImport.parse(exported)
        XCTAssertEqual(back.map(\.loss), [3.5, 3.0])
        let exportedJSON = try cli.ok(["export", "--format", "json", "--sweep", "paper"])
        XCTAssertEqual(try JSONDecoder().decode([ExportedRun].self, from: Data(exportedJSON.utf8)).count, 2)
    }

    func testDbFlagAndEnvironmentOverride() throws {
        try cli.write("runs.csv", "params,tokens,loss\n1e7,2e8,3.5\n")
        _ = try cli.ok(["import", "runs.csv", "--db", "flag.sqlite"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("flag.sqlite")))
        let r = try cli.run(["import", "runs.csv"], environment: ["LADDER_DB": cli.path("env.sqlite")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cli.path("env.sqlite")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("Results/ladder.sqlite")))
    }

    func testBadCSVImportsNothingAndNamesLines() throws {
        try cli.write("good.csv", "params,tokens,loss\n1e7,2e8,3.5\n")
        _ = try cli.ok(["import", "good.csv"])
        try cli.write("bad.csv", "params,tokens,loss\n1e7,2e8,3.5\n1e7,-5,3.5\n2e7,4e8,NaN\n")
        let r = try cli.run(["import", "bad.csv"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.csv:3:5:") && r.stderr.contains("bad.csv:4:9:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing imported"), r.stderr)
        let json = try cli.ok(["runs", "--json"])
        XCTAssertEqual(try JSONDecoder().decode([ExportedRun].self, from: Data(json.utf8)).count, 1)
    }

    func testNotADatabaseAndMissingFileErrors() throws {
        try cli.write("notes.txt", "hello\n")
        try cli.write("runs.csv", "params,tokens,loss\n1e7,2e8,3.5\n")
        let r = try cli.run(["runs", "--db", "notes.txt"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("not a Ladder results database"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: cli.path("notes.txt"), encoding: .utf8), "hello\n")
        let missing = try cli.run(["import", "nope.csv"])
        XCTAssertTrue(missing.stderr.contains("nope.csv: no such file"), missing.stderr)
        let noDatabase = try cli.run(["runs", "--db", "nowhere.sqlite"])
        XCTAssertTrue(noDatabase.stderr.contains("no results database at nowhere.sqlite"), noDatabase.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cli.path("nowhere.sqlite")), "reading creates nothing")
        _ = try cli.ok(["import", "runs.csv"])
        let unknownSweep = try cli.run(["runs", "--sweep", "ghost"])
        XCTAssertTrue(unknownSweep.stderr.contains("no sweep named 'ghost'"), unknownSweep.stderr)
    }

    /// N writer processes, each importing M files one after another, all at once into one database.
    func testConcurrentWriterProcessesLoseNoRows() throws {
        let writers = 6, imports = 8, rowsPerFile = 25
        var csv = "params,tokens,loss\n"
        for i in 0..<rowsPerFile { csv += "\(1e6 * Double(i + 1)),\(2e7 * Double(i + 1)),\(4.0 - 0.01 * Double(i))\n" }
        try cli.write("runs.csv", csv)
        let db = cli.path("shared.sqlite")
        let script = "for i in $(seq \(imports)); do \"$0\" import runs.csv --db \"$1\" --sweep \"w$2\" || exit 1; done"
        let processes: [Process] = try (0..<writers).map { w in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script, CLIHarness.executable.path, db, "\(w % 3)"]
            p.currentDirectoryURL = cli.folder
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return p
        }
        for p in processes {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0)
        }
        let store = try ResultStore.open(path: db)
        XCTAssertEqual(try store.runCount(), writers * imports * rowsPerFile)
        XCTAssertEqual(try store.sweeps().count, 3)
    }
}
