import Distributed
import Foundation
import XCTest

final class CommunicatorTests: XCTestCase {
    func testAllReduceSumsInRankOrderOnEveryRank() throws {
        let n = 5003, size = 3
        let inputs = (0..<size).map { Fixture.randomFloats(n, seed: UInt64(10 + $0)) }
        let outputs = try InProcessWorld.run(size: size, timeout: 20) { comm -> [Float] in
            var buf = inputs[comm.rank]
            try buf.withUnsafeMutableBufferPointer { try comm.allReduce($0.baseAddress!, count: n) }
            return buf
        }
        for i in 0..<n {
            let expected = (inputs[0][i] + inputs[1][i]) + inputs[2][i]
            for r in 0..<size { XCTAssertEqual(outputs[r][i], expected, "rank \(r) element \(i)") }
        }
    }

    func testReduceScatterAllGatherAndBroadcastWithUnevenShards() throws {
        let n = 1001, size = 4
        let counts = evenCounts(n, parts: size)
        XCTAssertEqual(counts, [251, 250, 250, 250])
        let inputs = (0..<size).map { Fixture.randomFloats(n, seed: UInt64(20 + $0)) }
        let outputs = try InProcessWorld.run(size: size, timeout: 20) { comm -> ([Float], [Float], [Float]) in
            var buf = inputs[comm.rank]
            try buf.withUnsafeMutableBufferPointer { try comm.reduceScatter($0.baseAddress!, counts: counts) }
            let scattered = buf
            // all-gather of the reduced shards reassembles the full sum
            try buf.withUnsafeMutableBufferPointer { try comm.allGather($0.baseAddress!, counts: counts) }
            var b = comm.rank == 2 ? inputs[2] : [Float](repeating: -1, count: n)
            try b.withUnsafeMutableBufferPointer { try comm.broadcast($0.baseAddress!, count: n, root: 2) }
            return (scattered, buf, b)
        }
        let offsets = InProcessCommunicator.offsets(counts)
        for r in 0..<size {
            for i in offsets[r]..<(offsets[r] + counts[r]) {
                var s: Float = inputs[0][i] + inputs[1][i]
                s += inputs[2][i]; s += inputs[3][i]
                XCTAssertEqual(outputs[r].0[i], s, "reduce-scatter rank \(r) element \(i)")
            }
            for i in 0..<n {
                var s: Float = inputs[0][i] + inputs[1][i]
                s += inputs[2][i]; s += inputs[3][i]
                XCTAssertEqual(outputs[r].1[i], s, "all-gather rank \(r) element \(i)")
            }
            XCTAssertEqual(outputs[r].2, inputs[2], "broadcast on rank \(r)")
        }
    }

    func testSendReceiveRingAndSplit() throws {
        let size = 4
        let results = try InProcessWorld.run(size: size, timeout: 20) { comm -> ([Float], Int, Int, [Float]) in
            // ring: send my data right, receive from the left (buffered sends cannot deadlock)
            let mine = Fixture.randomFloats(7, seed: UInt64(comm.rank))
            try mine.withUnsafeBufferPointer { try comm.send($0.baseAddress!, count: 7, to: (comm.rank + 1) % size, tag: 3) }
            var got = [Float](repeating: 0, count: 7)
            try got.withUnsafeMutableBufferPointer {
                try comm.receive($0.baseAddress!, count: 7, from: (comm.rank + size - 1) % size, tag: 3)
            }
            // even and odd ranks form two groups, ordered by descending rank
            let sub = try comm.split(color: comm.rank % 2, key: -comm.rank)
            var x: [Float] = [Float(comm.rank)]
            try x.withUnsafeMutableBufferPointer { try sub.allReduce($0.baseAddress!, count: 1) }
            try comm.barrier()
            return (got, sub.rank, sub.size, x)
        }
        for r in 0..<size {
            XCTAssertEqual(results[r].0, Fixture.randomFloats(7, seed: UInt64((r + size - 1) % size)))
            XCTAssertEqual(results[r].2, 2)
            XCTAssertEqual(results[r].1, r >= 2 ? 0 : 1, "descending key order within the group")
            XCTAssertEqual(results[r].3, [r % 2 == 0 ? 2 : 4])
        }
    }

    func testRankThatStopsCallingMakesPeersTimeOut() throws {
        let started = Date()
        XCTAssertThrowsError(try InProcessWorld.run(size: 2, timeout: 0.5) { comm -> Void in
            guard comm.rank == 0 else { return } // rank 1 "dies" quietly: it never joins
            var x: [Float] = [1, 2, 3]
            try x.withUnsafeMutableBufferPointer { try comm.allReduce($0.baseAddress!, count: 3) }
        }) { error in
            guard case let DistributedError.timeout(message) = error else { return XCTFail("expected a timeout, got \(error)") }
            XCTAssertTrue(message.contains("rank 0 of 2"), message)
            XCTAssertTrue(message.contains("allReduce"), message)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "the timeout fired")
    }

    func testRankThatFailsMakesPeersFailWithItsMessage() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "out of memory on rank 1" } }
        let peerErrors = PeerErrors()
        XCTAssertThrowsError(try InProcessWorld.run(size: 3, timeout: 60) { comm -> Void in
            if comm.rank == 1 { throw Boom() }
            var x: [Float] = [1]
            do {
                try x.withUnsafeMutableBufferPointer { try comm.allReduce($0.baseAddress!, count: 1) }
            } catch {
                peerErrors.add("\(error)")
                throw error
            }
        }) { error in
            XCTAssertTrue(error is Boom, "the root cause is rethrown, got \(error)")
        }
        XCTAssertEqual(peerErrors.all.count, 2)
        for e in peerErrors.all {
            XCTAssertTrue(e.contains("peer failed") && e.contains("rank 1 of 3 failed: out of memory on rank 1"), e)
        }
    }
}

final class PeerErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
