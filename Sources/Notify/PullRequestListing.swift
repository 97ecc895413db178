import Manifest

/// What a `pullRequests` generator listed: one element per open pull request that
/// qualifies, in the order of their numbers, and the pull requests passed over with why.
public struct PullRequestListing: Sendable, Hashable {
    /// `ApplicationSet.Element.pullRequest(number:headSHA:branch:)`, by number.
    public var elements: [ApplicationSet.Element]
    /// Pull requests that carry the labels but are not made into elements (a fork, a head
    /// branch git would refuse, no head commit yet), by number.
    public var skipped: [Skipped]

    public init(elements: [ApplicationSet.Element], skipped: [Skipped]) {
        self.elements = elements
        self.skipped = skipped
    }

    /// A pull request passed over, and why (a sentence naming it: `pull request #12 ...`).
    public struct Skipped: Sendable, Hashable, CustomStringConvertible {
        public var number: Int
        public var reason: String

        public init(number: Int, reason: String) {
            self.number = number
            self.reason = reason
        }

        public var description: String { reason }
    }

    /// Why there is no listing: the forge, the URL (never a token), the HTTP status and
    /// the forge's own `message` when it gave one; or a limit, the deadline, the token
    /// file. A listing is all or nothing: the daemon keeps what the set made before.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        /// The forge's HTTP status, when an answer came (401, 404, 500...).
        public var status: Int?

        public init(_ message: String, status: Int? = nil) {
            self.message = message
            self.status = status
        }

        public var description: String { message }
    }
}
