import Foundation
import Randomness
import Reports
import ScalingLaws
import XCTest

final class SVGWriterTests: XCTestCase {
    func testEscapingSurvivesAnXMLParser() throws {
        let nasty = "a < b & \"c\" > 'd' \u{1}é×10¹¹"
        var w = SVGWriter(width: 100, height: 50)
        w.text(nasty, x: 1, y: 2, extra: [("data-x", nasty)])
        let svg = w.document(title: nasty, id: "t")
        let root = try XCTUnwrap(parseXML(svg))
        let text = try XCTUnwrap(root.elements("text").first)
        let expected = nasty.replacingOccurrences(of: "\u{1}", with: "")
        XCTAssertEqual(text.fullText, expected)
        XCTAssertEqual(text.attributes["data-x"], expected)
        XCTAssertEqual(root.elements("title").first?.fullText, expected)
        XCTAssertEqual(root.attributes["xmlns"], "http://www.w3.org/2000/svg")
    }

    func testNumbersAndPaths() {
        XCTAssertEqual(SVGWriter.number(1.0), "1")
        XCTAssertEqual(SVGWriter.number(-0.001), "0")
        XCTAssertEqual(SVGWriter.number(12.345), "12.35")
        XCTAssertEqual(SVGWriter.number(.nan), "0")
        XCTAssertEqual(SVGWriter.path([(0, 0), (1, 1), (.nan, 2), (3, 3), (4, 4)]), "M0 0 L1 1 M3 3 L4 4")
        XCTAssertEqual(SVGWriter.exact(0.1 + 0.2), "\(0.1 + 0.2)")
        XCTAssertEqual(Double(SVGWriter.exact(3.0000000000000004)), 3.0000000000000004)
    }

    func testTickLabels() {
        XCTAssertEqual(TickFormat.si.label(1e4), "10K")
        XCTAssertEqual(TickFormat.si.label(2.5e6), "2.5M")
        XCTAssertEqual(TickFormat.si.label(500), "500")
        XCTAssertEqual(TickFormat.powerOfTen.label(1e11), "10¹¹")
        XCTAssertEqual(TickFormat.powerOfTen.label(3e12), "3×10¹²")
        XCTAssertEqual(TickFormat.powerOfTen.label(1e-3), "10⁻³")
        XCTAssertEqual(TickFormat.plain.label(0.25), "0.25")
        XCTAssertEqual(TickFormat.plain.label(3), "3")
        XCTAssertEqual(TickFormat.plain.label(-0.005), "-0.005")
    }

    func testLogTicksAreDecadesOrOneTwoFive() {
        let wide = Scale(kind: .log, domain: 1e3...1e9, range: (0, 600))
        let t = wide.ticks(target: 8)
        XCTAssertEqual(t.major, [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9].filter { wide.domain.contains($0) })
        XCTAssertTrue(t.minor.contains(2e3) && t.minor.contains(9e8))
        let narrow = Scale(kind: .log, domain: 1.5e3...6e4, range: (0, 600))
        XCTAssertEqual(narrow.ticks(target: 8).major, [2e3, 5e3, 1e4, 2e4, 5e4])
        // Log scale maps decades to equal distances; the y direction runs backwards.
        let y = Scale(kind: .log, domain: 1...100, range: (400, 0))
        XCTAssertEqual(y(1), 400, accuracy: 1e-9)
        XCTAssertEqual(y(10), 200, accuracy: 1e-9)
        XCTAssertEqual(y(100), 0, accuracy: 1e-9)
        XCTAssertFalse(y(0).isFinite)
    }

    func testTicksOfRandomDomainsAreInsideSortedAndReadable() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let a = (rng.nextUniform() - 0.5) * Foundation.pow(10, rng.nextUniform() * 8 - 3)
            let span = Foundation.pow(10, rng.nextUniform() * 6 - 3)
            let linear = Scale(kind: .linear, domain: a...(a + span), range: (0, 500))
            let lt = linear.ticks(target: 6).major
            XCTAssertTrue((3...13).contains(lt.count), "\(lt.count) ticks on \(linear.domain)")
            XCTAssertEqual(lt, lt.sorted())
            XCTAssertTrue(lt.allSatisfy { linear.domain.contains($0) })
            let lo = Foundation.pow(10, rng.nextUniform() * 20 - 2)
            let log = Scale(kind: .log, domain: lo...(lo * Foundation.pow(10, 0.3 + rng.nextUniform() * 12)), range: (0, 500))
            let gt = log.ticks(target: 6).major
            XCTAssertTrue((2...14).contains(gt.count), "\(gt.count) ticks on \(log.domain)")
            XCTAssertEqual(gt, gt.sorted())
            XCTAssertTrue(gt.allSatisfy { log.domain.contains($0) })
            // Labels of distinct ticks are distinct.
            XCTAssertEqual(Set(gt.map(TickFormat.si.label)).count, gt.count, "\(gt)")
        }
    }

    func testScaleCoversValuesWithAMargin() {
        let s = Scale(kind: .log, covering: [10, 1000, -5, .nan], range: (0, 100))
        XCTAssertLessThan(s.domain.lowerBound, 10)
        XCTAssertGreaterThan(s.domain.upperBound, 1000)
        XCTAssertEqual(s(10) - s(0.5 * 10 + 0.5 * 10), 0, accuracy: 1e-12)
        let flat = Scale(kind: .linear, covering: [2, 2], range: (0, 100))
        XCTAssertTrue(flat.domain.contains(2) && flat.domain.upperBound > flat.domain.lowerBound)
    }

    func testPaletteEnds() {
        XCTAssertEqual(Palette.sequential(0), "#440154")
        XCTAssertEqual(Palette.sequential(1), "#fde725")
        XCTAssertEqual(Palette.sequential(-3), Palette.sequential(0))
        XCTAssertEqual(Palette.category(0), Palette.category(Palette.categorical.count))
    }
}
