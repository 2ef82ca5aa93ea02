import Foundation
import Sweeps
import Training
import XCTest

/// Classes 5, 6 and 10 of issue #19 in sweep files: every value is checked when the file is
/// loaded, before any run trains.
final class SweepValidationTests: XCTestCase {
    static func spec(_ edit: (inout SweepSpec) -> Void) -> SweepSpec {
        var s = SweepExpansionTests.spec()
        edit(&s)
        return s
    }

    func testNonsenseValuesAreRefusedWithTheirKey() throws {
        XCTAssertNoThrow(try Self.spec { _ in }.validate())
        let cases: [(String, (inout SweepSpec) -> Void)] = [
            ("plan.flops", { $0.plan.flops = [-1] }), ("plan.flops", { $0.plan.flops = [.infinity] }),
            ("plan.flops", { $0.plan.flops = [] }),
            ("sizes", { $0.grid.budgets[0].sizes = 1_000_000_000 }),
            ("flops", { $0.grid.budgets[0].flops = 1e300 }),
            ("max_params", { $0.grid.budgets[0].maxParams = 1e30 }),
            ("train.beta2", { $0.train.beta2 = 1.5 }), ("train.eps", { $0.train.eps = 0 }),
            ("train.weight_decay", { $0.train.weightDecay = -1 }), ("train.lr", { $0.train.lr = -1 }),
            ("grid.point[1]", { $0.grid.points[0].tokens = 1e300 }),
        ]
        for (key, edit) in cases {
            XCTAssertThrowsError(try Self.spec(edit).validate(), key) { error in
                XCTAssertTrue("\(error)".contains(key), "\(key): \(error)")
            }
        }
    }

    func testUnsafeNamesAreRefused() throws {
        for name in ["..", ".", "../../x", "a/b", ".hidden", "", "a\u{0}b", String(repeating: "n", count: 101)] {
            XCTAssertThrowsError(try Self.spec { $0.name = name }.validate(), name) { error in
                XCTAssertTrue("\(error)".contains("name"), "\(error)")
            }
        }
    }

    func testHugeBudgetsAreRefusedNotWrappedAround() throws {
        // within the file's limits, but the steps it implies do not fit: an error, not a trap
        var spec = Self.spec { _ in }
        spec.grid.points = [.init(params: 5e4, tokens: 1e18)]
        spec.train.batch = 1
        spec.grid.budgets = []
        spec.validation = []
        XCTAssertThrowsError(try SweepExpansion.fitRuns(spec)) { error in
            XCTAssertTrue("\(error)".contains("steps"), "\(error)")
        }
    }
}
