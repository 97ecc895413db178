import Foundation
import State
import TestSupport
import Testing
import Toolkit

/// A foreign lease expires by the observer's own monotonic clock (issue 23): a dead shard
/// whose clock ran a day ahead blocked the new owner for a day.
@Suite struct LeaseExpiryTests {
    func leases(_ dir: TempDir, shard: Int, holder: String) -> Leases {
        Leases(layout: StateLayout(root: dir.path), shard: shard, holder: holder, duration: 60)
    }

    @Test func aLeaseWrittenADayAheadBlocksForOneDurationAtMost() throws {
        let dir = try TempDir("zg-lease")
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        let t0 = Duration.seconds(1000)
        // Shard 1, its clock a day ahead, took the lease and died.
        let dead = leases(dir, shard: 1, holder: "shard 1 on a")
        #expect(dead.acquire("app", now: wall.addingTimeInterval(86_400), monotonic: t0))
        let owner = leases(dir, shard: 0, holder: "shard 0 on b")
        #expect(!owner.acquire("app", now: wall, monotonic: t0))
        #expect(owner.blocker("app", now: wall.addingTimeInterval(30), monotonic: t0 + .seconds(30))?.remaining == 30)
        #expect(!owner.acquire("app", now: wall.addingTimeInterval(59), monotonic: t0 + .seconds(59)))
        // One lease duration on the owner's own clock after it first saw it: taken over,
        // whatever the date in the file says.
        #expect(owner.acquire("app", now: wall.addingTimeInterval(61), monotonic: t0 + .seconds(61)))
        #expect(owner.read("app")?.holder == "shard 0 on b")
    }

    @Test func aHolderThatRenewsKeepsItsLeaseWhateverItsClockSays() throws {
        let dir = try TempDir("zg-lease-renew")
        let wall = Date(timeIntervalSince1970: 1_800_000_000)
        let t0 = Duration.seconds(1000)
        // Shard 1's clock runs five minutes behind: every expiry it writes is in the past
        // for shard 0, yet it renews every 20 s.
        let behind = leases(dir, shard: 1, holder: "shard 1 on a")
        let other = leases(dir, shard: 0, holder: "shard 0 on b")
        #expect(behind.acquire("app", now: wall.addingTimeInterval(-300), monotonic: t0))
        // First sight: the date it wrote has run out, so a lease found at startup is free...
        #expect(other.blocker("app", now: wall, monotonic: t0) == nil)
        // ...but once seen renewed, a renewal is proof of life for a whole duration.
        for step in 1...6 {
            let at = t0 + .seconds(20 * step)
            #expect(behind.acquire("app", now: wall.addingTimeInterval(Double(20 * step) - 300), monotonic: at))
            #expect(
                !other.acquire("app", now: wall.addingTimeInterval(Double(20 * step)), monotonic: at + .seconds(1)),
                "step \(step)")
        }
        // It stops renewing: free a duration after its last renewal was seen.
        #expect(!other.acquire("app", now: wall.addingTimeInterval(170), monotonic: t0 + .seconds(170)))
        #expect(other.acquire("app", now: wall.addingTimeInterval(182), monotonic: t0 + .seconds(182)))
    }
}
