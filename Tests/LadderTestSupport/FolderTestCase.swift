import Foundation
import XCTest

/// A test case with a fresh temporary folder per test (`folder`, named after the test class),
/// removed after the test whatever its outcome.
open class FolderTestCase: XCTestCase {
    public private(set) var folder: URL!

    open override func setUpWithError() throws {
        try super.setUpWithError()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ladder-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    open override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
        try super.tearDownWithError()
    }
}
