import XCTest
import ScalingLaws

/// `|actual / expected - 1| <= tolerance`.
func assertRelative(_ actual: Double, _ expected: Double, _ tolerance: Double, _ message: String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    let rel = abs(actual / expected - 1)
    XCTAssert(rel <= tolerance, "\(message) \(actual) vs \(expected): relative error \(rel) > \(tolerance)", file: file, line: line)
}

/// Expects `body` to throw exactly `expected`, and its message to be non-empty.
func assertThrows<T>(_ expected: ScalingLawError, file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected)", file: file, line: line)
    } catch let error as ScalingLawError {
        XCTAssertEqual(error, expected, file: file, line: line)
        XCTAssertFalse(error.description.isEmpty, file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// Golden-section minimum of `f` on `[lo, hi]` (an independent reference for the planner tests).
func goldenMinimum(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) -> Double {
    var a = lo, b = hi
    let r = (5.0.squareRoot() - 1) / 2
    var c = b - r * (b - a), d = a + r * (b - a)
    var fc = f(c), fd = f(d)
    for _ in 0..<200 {
        if fc < fd { b = d; d = c; fd = fc; c = b - r * (b - a); fc = f(c) }
        else { a = c; c = d; fc = fd; d = a + r * (b - a); fd = f(d) }
    }
    return (a + b) / 2
}
