import Foundation

/// A binary min-heap of (due, name): the scheduler's next wakeup in O(log n).
struct DueHeap {
    private var items: [(due: Date, name: String)] = []

    var top: (due: Date, name: String)? { items.first }
    var count: Int { items.count }

    mutating func push(_ due: Date, _ name: String) {
        items.append((due, name))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].due < items[parent].due else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var smallest = i
            if l < items.count && items[l].due < items[smallest].due { smallest = l }
            if r < items.count && items[r].due < items[smallest].due { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
    }
}
