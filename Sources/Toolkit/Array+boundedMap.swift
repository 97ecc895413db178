extension Array where Element: Sendable {
    /// `work` over the elements, at most `limit` at once (a task group that keeps `limit`
    /// children running and starts the next as one ends); the results in element order, nil
    /// for an element never started (a `limit` below 1 starts none).
    public func boundedMap<R: Sendable>(limit: Int, _ work: @escaping @Sendable (Element) async -> R) async -> [R?] {
        var results = [R?](repeating: nil, count: count)
        await withTaskGroup(of: (Int, R).self) { group in
            var next = 0
            func start() {
                guard next < count else { return }
                let i = next
                let item = self[i]
                group.addTask { (i, await work(item)) }
                next += 1
            }
            for _ in 0..<Swift.min(limit, count) { start() }
            while let (i, result) = await group.next() {
                results[i] = result
                start()
            }
        }
        return results
    }
}
