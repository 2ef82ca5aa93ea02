import Compute
import XCTest

final class ThreadPoolTests: XCTestCase {
    func testEveryIndexRunsExactlyOnce() {
        for threads in [1, 2, 3, 5] {
            let pool = ThreadPool(threadCount: threads)
            for count in [0, 1, 2, 7, 100, 1001] {
                let hits = AlignedBuffer<Int32>(count: max(count, 1))
                for _ in 0..<3 {
                    pool.parallelFor(count) { i in hits[i] += 1 }
                }
                for i in 0..<count { XCTAssertEqual(hits[i], 3, "threads=\(threads) count=\(count) i=\(i)") }
            }
        }
    }

    func testPartitionsAreContiguousAndCover() {
        for count in [0, 1, 5, 17, 64] {
            for parts in 1...6 {
                var next = 0
                for part in 0..<parts {
                    let r = ThreadPool.partition(count, parts: parts, part: part)
                    XCTAssertEqual(r.lowerBound, next)
                    XCTAssertLessThanOrEqual(r.count, (count + parts - 1) / parts)
                    next = r.upperBound
                }
                XCTAssertEqual(next, count)
            }
        }
    }

    func testNestedCallsRunInline() {
        let pool = ThreadPool(threadCount: 2)
        let out = AlignedBuffer<Int32>(count: 40)
        pool.parallelFor(4) { i in
            pool.parallelFor(10) { j in out[i * 10 + j] = Int32(i * 10 + j) }
        }
        XCTAssertEqual(out.toArray(), (0..<40).map { Int32($0) })
    }

    func testManySmallJobsAndDefaultPool() {
        ThreadPool.setDefaultThreadCount(2)
        XCTAssertEqual(ThreadPool.default.threadCount, 2)
        let sums = AlignedBuffer<Int>(count: 2)
        for round in 0..<2000 {
            ThreadPool.default.parallelFor(2) { i in sums[i] += round + i }
        }
        XCTAssertEqual(sums[0], 1999 * 2000 / 2)
        XCTAssertEqual(sums[1], 1999 * 2000 / 2 + 2000)
    }

    func testAlignedBufferAlignmentAndViews() {
        for count in [0, 1, 3, 17, 1000] {
            let b = AlignedBuffer<Float>(count: count)
            XCTAssertEqual(Int(bitPattern: b.pointer) % 64, 0)
            XCTAssertTrue(b.toArray().allSatisfy { $0 == 0 })
        }
        let b = AlignedBuffer<Float>([1, -2, 0.5])
        let bits = b.view(as: UInt32.self)
        XCTAssertEqual(bits.count, 3)
        XCTAssertEqual(bits[0], 0x3F80_0000)
        XCTAssertEqual(b.view(as: UInt16.self).count, 6)
        let s = b.slice(1, 2)
        XCTAssertEqual(Array(s), [-2, 0.5])
        s[0] = 7
        XCTAssertEqual(b[1], 7)
    }
}
