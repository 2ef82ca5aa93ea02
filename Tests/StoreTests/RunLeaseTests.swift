import Foundation
import Store
import XCTest

final class RunLeaseTests: XCTestCase {
    func storeWithRun() throws -> (ResultStore, Int64) {
        let store = try ResultStore.inMemory()
        let run = try XCTUnwrap(try store.insertRuns([RunRecord(sweepId: 0, name: "r", params: 1e4, tokens: 1e6, flops: 6e10)],
                                                    intoSweep: "s").first)
        return (store, run.id!)
    }

    func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func testStoredRunsGetAUniqueIdentity() throws {
        let store = try ResultStore.inMemory()
        let runs = try store.insertRuns((0..<3).map { RunRecord(sweepId: 0, name: "r\($0)", params: 1, tokens: 1, flops: 1) },
                                        intoSweep: "s")
        XCTAssertEqual(Set(runs.compactMap(\.uuid)).count, 3)
        XCTAssertEqual(try store.run(id: runs[0].id!)?.uuid, runs[0].uuid)
        XCTAssertEqual(RunFolder.name(runId: 7, uuid: "0123abcd-4567-89ef-0123-456789abcdef"), "7-0123abcd4567")
        XCTAssertEqual(RunFolder.name(runId: 7, uuid: nil), "7", "runs stored before identities keep their folders")
    }

    func testALiveClaimKeepsOthersOutAndIsReentrantForItsToken() throws {
        let (store, id) = try storeWithRun()
        let me = LeaseOwner.current(token: "a")
        XCTAssertEqual(try store.claimRun(id, owner: me), .claimed(tookOver: nil))
        guard case let .shared(mine) = try store.claimRun(id, owner: me) else { return XCTFail("the same token: a coordinator's job shares the claim") }
        XCTAssertEqual(mine.token, "a")
        let other = LeaseOwner.current(token: "b")
        guard case let .held(lease) = try store.claimRun(id, owner: other) else { return XCTFail("a live claim was taken") }
        XCTAssertEqual(lease.token, "a")
        XCTAssertEqual(lease.pid, getpid())
        try store.releaseRun(id, token: "b")
        XCTAssertNotNil(try store.lease(runId: id), "only the holder releases")
        try store.releaseRun(id, token: "a")
        XCTAssertEqual(try store.claimRun(id, owner: other), .claimed(tookOver: nil))
    }

    func testAClaimWhoseOwnerDiedIsTakenOver() throws {
        let (store, id) = try storeWithRun()
        let host = ProcessInfo.processInfo.hostName
        let dead = LeaseOwner(token: "dead", host: host, pid: try deadPid(), processStart: "")
        XCTAssertEqual(try store.claimRun(id, owner: dead), .claimed(tookOver: nil))
        guard case let .claimed(previous) = try store.claimRun(id, owner: .current(token: "new")) else {
            return XCTFail("a dead owner's claim was not taken over")
        }
        XCTAssertEqual(previous?.token, "dead")
        // a live pid with another start time is a reused pid: its claim is stale too
        let reused = LeaseOwner(token: "reused", host: host, pid: getpid(), processStart: "1")
        try store.releaseRun(id, token: "new")
        XCTAssertEqual(try store.claimRun(id, owner: reused), .claimed(tookOver: nil))
        let stale = try store.lease(runId: id)
        XCTAssertEqual(try store.claimRun(id, owner: .current(token: "x")), .claimed(tookOver: stale))
    }

    func testAnotherHostsClaimLivesUntilItsHeartbeatIsOld() throws {
        let (store, id) = try storeWithRun()
        let remote = LeaseOwner(token: "remote", host: "some-other-node", pid: 1, processStart: "")
        XCTAssertEqual(try store.claimRun(id, owner: remote), .claimed(tookOver: nil))
        guard case .held = try store.claimRun(id, owner: .current(token: "here"), staleAfter: 60) else {
            return XCTFail("a fresh remote claim was taken")
        }
        try store.renewLeases([id], token: "remote")
        guard case .claimed = try store.claimRun(id, owner: .current(token: "here"), staleAfter: -1) else {
            return XCTFail("a remote claim past its timeout was kept")
        }
    }
}
