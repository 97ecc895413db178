import Foundation
import State

/// `sync --wait`'s view of a long sync, on standard error: one line redrawn in place on a
/// terminal (`fetch: 1200/4096 objects [=====     ] 29%`), a plain line per change of stage
/// or tenth of the way otherwise (a log gets no escape sequences).
final class ProgressLine {
    let terminal: Bool
    private var last: String?
    private var lastPlain: (StatusDocument.Progress.Stage, Int)?

    init(terminal: Bool) { self.terminal = terminal }

    static func text(_ p: StatusDocument.Progress, width: Int = 20) -> String {
        guard let total = p.total, total > 0 else { return "\(p.stage.rawValue): \(p.done) \(p.unit.rawValue)" }
        let done = min(p.done, total)
        let filled = done * width / total
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        return "\(p.stage.rawValue): \(done)/\(total) \(p.unit.rawValue) [\(bar)] \(done * 100 / total)%"
    }

    func show(_ progress: StatusDocument.Progress?) {
        guard let progress else { return }
        let line = Self.text(progress)
        guard line != last else { return }
        last = line
        if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            return
        }
        let tenth = progress.total.map { $0 > 0 ? min(progress.done, $0) * 10 / $0 : 0 } ?? 0
        if let (stage, step) = lastPlain, stage == progress.stage, step == tenth { return }
        lastPlain = (progress.stage, tenth)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Clears the line on a terminal.
    func end() {
        if terminal, last != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
