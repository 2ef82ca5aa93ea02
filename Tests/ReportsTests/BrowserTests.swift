import Foundation
import Randomness
import Reports
import ScalingLaws
import Store
import LadderTestSupport
import XCTest

/// The page in a real browser: headless Chromium takes a screenshot, and the PNG must show the
/// figures (many colours, the budgets' series colours), unlike a blank page's screenshot.
final class BrowserTests: FolderTestCase {
    /// Chromium's path; skips when it is missing unless LADDER_REQUIRE_CHROMIUM=1 (CI), then fails.
    func chromium() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let p = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: p) { return p }
            }
        }
        if ProcessInfo.processInfo.environment["LADDER_REQUIRE_CHROMIUM"] == "1" {
            XCTFail("chromium is not on PATH and LADDER_REQUIRE_CHROMIUM=1 (install it with .ci/install-chromium)")
            throw XCTSkip("chromium missing")
        }
        throw XCTSkip("chromium is not installed (.ci/install-chromium installs it); set LADDER_REQUIRE_CHROMIUM=1 to make this a failure")
    }

    func screenshot(_ page: URL, chromium: String, name: String) throws -> PNGImage {
        let png = folder.appendingPathComponent(name + ".png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--user-data-dir=\(folder.appendingPathComponent("profile-" + name).path)",
                             "--screenshot=\(png.path)", "--window-size=1200,2000", page.absoluteString]
        let log = folder.appendingPathComponent(name + ".log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if done.wait(timeout: .now() + 180) == .timedOut {
            process.terminate()
            XCTFail("chromium did not finish in 180 s")
        }
        try? handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard let data = FileManager.default.contents(atPath: png.path) else {
            XCTFail("chromium wrote no screenshot (status \(process.terminationStatus)):\n\(output.suffix(2000))")
            throw PNGImage.Failure.invalid("no screenshot")
        }
        return try PNGImage(data: data)
    }

    struct Looks {
        var inked: Double
        var colours: Int
        var seriesPixels: [String: Int]
    }

    /// Share of non-white pixels, distinct colours (4 bits per channel), and pixels close to each
    /// budget colour of the IsoFLOP figure.
    func looks(_ image: PNGImage) -> Looks {
        var inked = 0
        var colours = Set<Int>()
        let series = Array(Palette.categorical.prefix(3))
        let targets = series.map { hex -> (Int, Int, Int) in
            let v = Int(hex.dropFirst(), radix: 16)!
            return (v >> 16, (v >> 8) & 255, v & 255)
        }
        var hits = [Int](repeating: 0, count: targets.count)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let (r, g, b) = image.pixel(x, y)
                if r < 235 || g < 235 || b < 235 { inked += 1 }
                colours.insert((r >> 4) << 8 | (g >> 4) << 4 | (b >> 4))
                for (i, t) in targets.enumerated() where abs(r - t.0) + abs(g - t.1) + abs(b - t.2) < 40 { hits[i] += 1 }
            }
        }
        return Looks(inked: Double(inked) / Double(image.width * image.height), colours: colours.count,
                     seriesPixels: Dictionary(uniqueKeysWithValues: zip(series, hits)))
    }

    func testReportRendersInHeadlessChromium() throws {
        let browser = try chromium()
        let store = try ResultStore.inMemory()
        _ = try SyntheticSweep.make(store: store)
        let report = try ReportLoader.load(store: store, sweep: nil)
        let files = try ReportWriter.write(report, to: folder.appendingPathComponent("report"))

        let page = try screenshot(files[0], chromium: browser, name: "report")
        XCTAssertEqual(page.width, 1200)
        XCTAssertEqual(page.height, 2000)
        let seen = looks(page)
        // The control: a blank page through the same browser and the same measure.
        let blankPage = folder.appendingPathComponent("blank.html")
        try Data("<!DOCTYPE html><html><head><meta charset=\"utf-8\"/><title>blank</title></head><body></body></html>".utf8).write(to: blankPage)
        let blank = looks(try screenshot(blankPage, chromium: browser, name: "blank"))
        XCTAssertLessThan(blank.inked, 0.001)
        XCTAssertLessThan(blank.colours, 4)

        XCTAssertGreaterThan(seen.inked, 0.03, "the report's screenshot is nearly blank")
        XCTAssertGreaterThan(seen.colours, 40, "too few colours for plotted figures")
        // The first figure's three budget colours are drawn (markers and parabolas).
        for (colour, count) in seen.seriesPixels {
            XCTAssertGreaterThan(count, 150, "few pixels of series colour \(colour): the SVG did not render")
            XCTAssertEqual(blank.seriesPixels[colour], 0)
        }
    }

    func testStandaloneSVGRendersInHeadlessChromium() throws {
        let browser = try chromium()
        let store = try ResultStore.inMemory()
        _ = try SyntheticSweep.make(store: store)
        let report = try ReportLoader.load(store: store, sweep: nil)
        let files = try ReportWriter.write(report, to: folder.appendingPathComponent("report"))
        let svg = try XCTUnwrap(files.first { $0.lastPathComponent == Figure.isoflop.fileName })
        let seen = looks(try screenshot(svg, chromium: browser, name: "isoflop"))
        XCTAssertGreaterThan(seen.inked, 0.005)
        for (colour, count) in seen.seriesPixels { XCTAssertGreaterThan(count, 150, "series colour \(colour)") }
    }

    /// The imported 245-run table's IsoFLOP figure in Chromium: no pixel of the message colour
    /// (#aa3333) inside the plot area, the messages drawn below it.
    func testImportedTableFigureHasNoTextOverThePlot() throws {
        let browser = try chromium()
        let report = try ReportLoader.load(store: try ImportedTableTests.importedStore(), sweep: "imported")
        let files = try ReportWriter.write(report, to: folder.appendingPathComponent("report"))
        let svg = try XCTUnwrap(files.first { $0.lastPathComponent == Figure.isoflop.fileName })
        let image = try screenshot(svg, chromium: browser, name: "imported")
        var inside = 0, below = 0
        for y in 0..<min(image.height, 700) {
            for x in 0..<min(image.width, 1040) {
                let (r, g, b) = image.pixel(x, y)
                guard abs(r - 170) + abs(g - 51) + abs(b - 51) < 30 else { continue }
                if x >= 74 && x <= 824 && y >= 34 && y <= 508 { inside += 1 } else if y > 560 { below += 1 }
            }
        }
        XCTAssertEqual(inside, 0, "message-coloured pixels over the plot area")
        XCTAssertGreaterThan(below, 50, "the messages are drawn under the figure")
    }

    /// The real imported table (Epoch's reconstruction of Chinchilla's 245 runs, 16 budgets) in
    /// Chromium: the page renders, the IsoFLOP figure keeps messages under the plot, and each
    /// budget's own colour shows in the plot area.
    func testEpochTableReportRendersInHeadlessChromium() throws {
        let browser = try chromium()
        let report = try EpochTableTests.report()
        let files = try ReportWriter.write(report, to: folder.appendingPathComponent("epoch"))
        let page = looks(try screenshot(files[0], chromium: browser, name: "epoch-page"))
        XCTAssertGreaterThan(page.inked, 0.03, "the report's screenshot is nearly blank")
        XCTAssertGreaterThan(page.colours, 40, "too few colours for plotted figures")

        let svg = try XCTUnwrap(files.first { $0.lastPathComponent == Figure.isoflop.fileName })
        let image = try screenshot(svg, chromium: browser, name: "epoch-isoflop")
        let budgets = report.budgetGroups.indices.map { i -> (Int, Int, Int) in
            let v = Int(Palette.ordered(i, of: report.budgetGroups.count).dropFirst(), radix: 16)!
            return (v >> 16, (v >> 8) & 255, v & 255)
        }
        XCTAssertEqual(Set(budgets.map { "\($0)" }).count, budgets.count, "every budget has its own colour")
        var inside = 0, below = 0
        var hits = [Int](repeating: 0, count: budgets.count)
        for y in 0..<min(image.height, 700) {
            for x in 0..<min(image.width, 1040) {
                let (r, g, b) = image.pixel(x, y)
                let plot = x >= 74 && x <= 824 && y >= 34 && y <= 508
                if plot {
                    for (i, t) in budgets.enumerated() where abs(r - t.0) + abs(g - t.1) + abs(b - t.2) < 12 { hits[i] += 1 }
                }
                guard abs(r - 170) + abs(g - 51) + abs(b - 51) < 30 else { continue }
                if plot { inside += 1 } else if y > 560 { below += 1 }
            }
        }
        XCTAssertEqual(inside, 0, "message-coloured pixels over the plot area")
        XCTAssertGreaterThan(below, 50, "the messages are drawn under the figure")
        for (i, count) in hits.enumerated() {
            XCTAssertGreaterThan(count, 20, "budget \(report.budgetGroups[i].label)'s colour barely shows in the plot")
        }
    }

    /// The decoder the screenshot checks rely on, against gzip's DEFLATE output.
    func testInflateMatchesGzip() throws {
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") || FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip") else {
            throw XCTSkip("gzip is not installed")
        }
        var rng = SplitMix64(seed: 3)
        let words = ["loss", "tokens", "budget", "parabola", "frontier", "Chinchilla", "\n", "0.25", "1e12"]
        for level in ["-1", "-6", "-9"] {
            var text = ""
            for _ in 0..<20_000 { text += words[Int(rng.next() % UInt64(words.count))] + " " }
            let bytes = Array(text.utf8) + (0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let input = folder.appendingPathComponent("in.bin")
            try Data(bytes).write(to: input)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/bin/gzip") ? "/bin/gzip" : "/usr/bin/gzip")
            process.arguments = ["-n", level, "-c", input.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let gz = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
            process.waitUntilExit()
            XCTAssertEqual(gz[0], 0x1f)
            XCTAssertEqual(gz[3] & 0x08, 0, "no file name with -n")
            XCTAssertEqual(try Inflate.decode(Array(gz[10...])), bytes, level)
        }
    }
}
