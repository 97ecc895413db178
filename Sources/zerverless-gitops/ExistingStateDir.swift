import ArgumentParser
import Foundation
import State
import Toolkit

/// The state dir a command that asks the daemon for something writes into: it must exist.
/// A command that created it (as root, with no daemon) left files the service's user could
/// not remove: a request acted on forever, or a pin nobody meant.
func existingStateDir(_ root: String) throws -> StateLayout {
    let layout = StateLayout(root: root)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: layout.root, isDirectory: &isDir), isDir.boolValue else {
        printErr(
            "error: no state dir at \(layout.root) (is the daemon running with --state-dir \(layout.root)? give --state-dir or ZG_STATE_DIR)"
        )
        throw ExitCode(1)
    }
    actAsStateDirOwner(layout.root)
    return layout
}
