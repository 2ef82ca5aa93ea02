import DataPrep
import Foundation
import Randomness
import LadderTestSupport
import XCTest

final class IngestTests: FolderTestCase {
    var dir: URL { folder }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let u = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: u)
        return u.path
    }

    private func gzip(_ path: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        p.arguments = ["-f", path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
    }

    func testFolderOfTextFilesOneDocumentPerFile() throws {
        _ = try write("a/one.txt", Array("First document.".utf8))
        _ = try write("a/two.md", Array("Second document.".utf8))
        _ = try write("a/skip.bin", [0, 1, 2])
        _ = try write("a/empty.txt", Array("  \n\n ".utf8))
        _ = try write("a/zero.txt", [])
        let r = DocumentReader()
        var docs: [Document] = []
        try r.read([dir.appendingPathComponent("a").path]) { docs.append($0) }
        XCTAssertEqual(docs.map(\.text), ["First document.", "Second document."])
        XCTAssertEqual(r.log.counts["ingest.empty_document"], 2)
    }

    func testSeparatorSplitsAcrossChunkBoundaries() throws {
        var text = ""
        for i in 0 ..< 200 { text += "Document number \(i) has some words.\n\n\n" }
        let path = try write("many.txt", Array(text.utf8))
        var o = IngestOptions()
        o.separator = "\n\n\n"
        o.chunkBytes = 37 // force separators to straddle chunks
        let r = DocumentReader(options: o)
        var docs: [String] = []
        try r.read([path]) { docs.append($0.text) }
        XCTAssertEqual(docs.count, 200)
        XCTAssertEqual(docs[123], "Document number 123 has some words.")
        XCTAssertEqual(r.log.total, 0)
    }

    func testJSONLWithBadLinesIsCountedNotFatal() throws {
        var lines: [[UInt8]] = []
        lines.append(Array(#"{"id": "a", "text": "good one"}"#.utf8))
        lines.append(Array(#"{"id": "b", "text": "#.utf8)) // malformed
        lines.append(Array(#"{"id": "c", "body": "no text field"}"#.utf8))
        lines.append(Array(#"{"text": "bad utf8 "#.utf8) + [0xFF, 0xFE] + Array(#"here"}"#.utf8))
        lines.append(Array(#"{"text": "   "}"#.utf8))
        lines.append([])
        lines.append(Array(#"{"id": 7, "text": "good two"}"#.utf8))
        let bytes = lines.joined(separator: [0x0A]).map { $0 }
        let path = try write("d.jsonl", bytes)
        let r = DocumentReader()
        var docs: [Document] = []
        try r.read([path]) { docs.append($0) }
        XCTAssertEqual(docs.map(\.text), ["good one", "bad utf8 \u{FFFD}\u{FFFD}here", "good two"])
        XCTAssertTrue(docs[0].id.hasSuffix(":a"))
        XCTAssertEqual(r.log.counts["ingest.malformed_json"], 1)
        XCTAssertEqual(r.log.counts["ingest.missing_text_field"], 1)
        XCTAssertEqual(r.log.counts["ingest.invalid_utf8_repaired"], 1)
        XCTAssertEqual(r.log.counts["ingest.empty_document"], 1)

        var o = IngestOptions()
        o.invalidUtf8 = .drop
        let r2 = DocumentReader(options: o)
        var n = 0
        try r2.read([path]) { _ in n += 1 }
        XCTAssertEqual(n, 2)
        XCTAssertEqual(r2.log.counts["ingest.invalid_utf8"], 1)
    }

    func testGzipInputsAreDecompressed() throws {
        let t = try write("z.txt", Array("Compressed text.".utf8))
        try gzip(t)
        let j = try write("z.jsonl", Array("{\"text\": \"one\"}\n{\"text\": \"two\"}\n".utf8))
        try gzip(j)
        let r = DocumentReader()
        var docs: [String] = []
        try r.read([t + ".gz", j + ".gz"]) { docs.append($0.text) }
        XCTAssertEqual(docs, ["Compressed text.", "one", "two"])
    }

    func testCorruptGzipIsCountedNotFatal() throws {
        let p = try write("bad.txt.gz", Array("this is not gzip data".utf8))
        let r = DocumentReader()
        try r.read([p]) { _ in XCTFail("no document expected") }
        XCTAssertEqual(r.log.counts["ingest.unreadable_file"], 1)
    }

    func testOversizedDocumentsAreSkippedWithBoundedBuffer() throws {
        var text = "small one\n\n\n"
        text += String(repeating: "enormous ", count: 20000) + "\n\n\n"
        text += "small two"
        let path = try write("big.txt", Array(text.utf8))
        var o = IngestOptions()
        o.separator = "\n\n\n"
        o.maxDocumentBytes = 10000
        o.chunkBytes = 4096
        let r = DocumentReader(options: o)
        var docs: [String] = []
        try r.read([path]) { docs.append($0.text) }
        XCTAssertEqual(docs, ["small one", "small two"])
        XCTAssertEqual(r.log.counts["ingest.oversized_document"], 1)
    }

    func testMissingInputThrows() {
        XCTAssertThrowsError(try DocumentReader().read([dir.appendingPathComponent("nope").path]) { _ in })
    }
}

final class NormalizerTests: XCTestCase {
    let n = TextNormalizer()

    func testNFCAndWhitespace() {
        XCTAssertEqual(n.normalize("cafe\u{0301}"), "café")
        XCTAssertEqual(n.normalize("a\r\nb\rc"), "a\nb\nc")
        XCTAssertEqual(n.normalize("x\u{00A0}y\u{3000}z\u{200B}!\u{FEFF}"), "x y z!")
        XCTAssertEqual(n.normalize("\n\n  line one   \n\n\n\n\nline two\t \n\n"), "  line one\n\nline two")
        XCTAssertEqual(n.normalize("bell\u{07}char"), "bellchar")
        XCTAssertEqual(n.normalize("Ångström \u{212B}"), "Ångström \u{00C5}")
    }

    func testUnwrapsHardWrappedProse() {
        let wrapped = """
        Emma Woodhouse, handsome, clever, and rich, with a comfortable home
        and happy disposition, seemed to unite some of the best blessings of
        existence; and had lived nearly twenty-one years in the world with very
        little to distress or vex her.

        She was the youngest of the two daughters of a most affectionate,
        indulgent father.
        """
        let out = n.normalize(wrapped)
        XCTAssertEqual(out.split(separator: "\n", omittingEmptySubsequences: false).count, 3)
        XCTAssertTrue(out.hasPrefix("Emma Woodhouse, handsome, clever, and rich, with a comfortable home and happy disposition"))
        XCTAssertTrue(out.hasSuffix("most affectionate, indulgent father."))
    }

    func testKeepsIndentedVersesListsAndShortLines() {
        let kjv = """
          1 In the beginning God created the heaven and the earth, and it was good.
          2 And the earth was without form, and void; and darkness was upon the face of
        the deep. And the Spirit of God moved upon the face of the waters.
        """
        XCTAssertEqual(n.normalize(kjv).split(separator: "\n").count, 2)
        let list = """
        The following items are required for the procedure described below here:
        - first item which is quite long and goes on for a while to reach the limit
        - second item
        """
        XCTAssertEqual(n.normalize(list).split(separator: "\n").count, 3)
        let poem = "Roses are red,\nviolets are blue,\nsugar is sweet,\nand so are you."
        XCTAssertEqual(n.normalize(poem), poem)
        // a document with many long lines is not hard-wrapped: left alone
        let long = String(repeating: "word ", count: 30) + "\n" + String(repeating: "more ", count: 12) + "\n" + String(repeating: "text ", count: 30)
        XCTAssertEqual(n.normalize(long).split(separator: "\n").count, 3)
    }

    /// The fast "already NFC" check never skips a string that NFC would change.
    func testNFCFastPathAgreesWithFoundation() {
        var g = SplitMix64(seed: 21)
        let pieces = ["e\u{0301}", "\u{212B}", "\u{1100}\u{1161}", "가\u{11A8}", "\u{0B47}\u{0B3E}", "ﬁ", "’", "—", "naïve", "Ω", "Å", "\u{0300}", "x", " ", "😀", "\u{2126}"]
        for _ in 0 ..< 500 {
            var s = ""
            for _ in 0 ..< 1 + Int(g.next() % 6) { s += pieces[Int(g.next() % UInt64(pieces.count))] }
            let normalized = TextNormalizer().normalize(s)
            let expected = TextNormalizer(options: { var o = NormalizeOptions(); o.nfc = false; return o }())
                .normalize(s.precomposedStringWithCanonicalMapping)
            XCTAssertEqual(Array(normalized.unicodeScalars), Array(expected.unicodeScalars), s.debugDescription)
        }
    }

    func testUnwrapCanBeDisabled() {
        var o = NormalizeOptions()
        o.unwrap = false
        let s = String(repeating: "a", count: 60) + "\n" + String(repeating: "b", count: 60)
        XCTAssertEqual(TextNormalizer(options: o).normalize(s), s)
        XCTAssertEqual(TextNormalizer().normalize(s), String(repeating: "a", count: 60) + " " + String(repeating: "b", count: 60))
    }
}
