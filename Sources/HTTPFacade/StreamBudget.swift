import Crypto
import Foundation
import State
import Synchronization
import Toolkit

/// Event streams (`GET /api/gitops/events`) never end, and are exempt from the request
/// deadlines: without a budget of their own, one client's idle streams would fill the
/// connection cap and keep everyone else out (other tenants, probes, webhooks). At most
/// `total` streams are open at once (`--api-max-streams`, 64), and at most `perKey` of one
/// API token (`--api-max-streams-per-token`, 8; without `--api-tokens-file` only the total
/// holds: every caller is the operator then). Both are far below `--api-max-connections`,
/// so the other calls always find a connection. A slot is freed when its stream ends or
/// its connection closes, whichever comes first.
public final class StreamBudget: Sendable {
    public let total: Int
    public let perKey: Int
    private let state = Mutex<(open: Int, byKey: [String: Int])>((0, [:]))

    public init(total: Int = 64, perKey: Int = 8) {
        self.total = max(1, total)
        self.perKey = max(1, min(perKey, total))
    }

    /// Streams open now.
    public var open: Int { state.withLock { $0.open } }

    /// One open stream's place in the budget; `release()` may be called any number of times.
    public final class Slot: Sendable {
        let budget: StreamBudget
        let key: String?
        private let released = Atomic<Bool>(false)

        init(budget: StreamBudget, key: String?) {
            self.budget = budget
            self.key = key
        }

        public func release() {
            guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
            budget.state.withLock { state in
                state.open -= 1
                if let key {
                    let left = (state.byKey[key] ?? 1) - 1
                    state.byKey[key] = left > 0 ? left : nil
                }
            }
        }
    }

    public enum Refusal: Error, Sendable, Equatable {
        /// Every slot is taken.
        case total(Int)
        /// This key (token) holds all of its own.
        case perKey(Int)
    }

    /// A slot for a stream of `key` (an API token's identity; nil without tokens), or why not.
    public func acquire(key: String?) -> Result<Slot, Refusal> {
        state.withLock { state -> Result<Slot, Refusal> in
            if let key, (state.byKey[key] ?? 0) >= perKey { return .failure(.perKey(perKey)) }
            if state.open >= total { return .failure(.total(total)) }
            state.open += 1
            if let key { state.byKey[key, default: 0] += 1 }
            return .success(Slot(budget: self, key: key))
        }
    }

    /// The identity a token's streams are counted under (a digest: the token itself is
    /// kept nowhere).
    static func key(token authorization: String?) -> String? {
        guard let authorization, authorization.count > 7 else { return nil }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return SHA256.hash(data: Array(token.utf8)).hexString
    }
}
