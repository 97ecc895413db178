import CInotifyTools
import Glibc

extension FolderWatcher {
    /// The watcher thread's own record of its inotify watches, by the kernel's watch number
    /// (the thread alone uses it). Not libinotifytools' table of names: that one keeps the
    /// watch of a deleted folder forever (the kernel dropped it, so the library's removal
    /// fails and it keeps the entry), and took the late `IN_IGNORED` of the old watch for
    /// the new watch of the same name: a folder deleted and made again was dropped again,
    /// its events lost (seen under load in `FolderWatcherTests`). It also stores folders
    /// with a trailing `/`, so a removal by the bare name removed nothing.
    struct Watches {
        private var byFolder: [String: (wd: Int32, subscribers: Int)] = [:]
        private var byWatch: [Int32: String] = [:]

        func holds(_ folder: String) -> Bool { byFolder[folder] != nil }
        func folder(of wd: Int32) -> String? { byWatch[wd] }

        /// Watches `folder` (not watched yet); nil, or why it cannot be watched.
        mutating func add(_ folder: String) -> String? {
            var info = stat()
            if lstat(folder, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
                return "cannot watch \(folder): not a folder"
            }
            let name = folder == "/" ? "/" : folder + "/"  // as libinotifytools names a folder
            if let stale = Optional(inotifytools_wd_from_filename(name)), stale > 0, byWatch[stale] == nil {
                Self.forget(stale, name: name)
            }
            guard inotifytools_watch_file(name, FolderWatcher.mask) == 1 else {
                return "cannot watch \(folder): \(String(cString: strerror(inotifytools_error())))"
            }
            let wd = inotifytools_wd_from_filename(name)
            if let other = byWatch[wd], other != folder {
                return "cannot watch \(folder): it is the same folder as \(other) (a bind mount?): watch that one"
            }
            byFolder[folder] = (wd, 0)
            byWatch[wd] = folder
            return nil
        }

        mutating func retain(_ folder: String) { byFolder[folder]?.subscribers += 1 }

        /// A watch nobody asked for after all (its subscriber ended meanwhile) goes.
        mutating func releaseIfUnused(_ folder: String) {
            if let w = byFolder[folder], w.subscribers == 0 { remove(folder, w.wd) }
        }

        mutating func release(_ folder: String) {
            guard let w = byFolder[folder] else { return }
            if w.subscribers > 1 {
                byFolder[folder]?.subscribers -= 1
            } else {
                remove(folder, w.wd)
            }
        }

        /// The kernel reported the watch gone (`IN_DELETE_SELF`, `IN_IGNORED`) or its folder
        /// moved away (`IN_MOVE_SELF`: the kernel still holds it, so it is removed).
        mutating func drop(_ wd: Int32, stillInKernel: Bool) {
            guard let folder = byWatch[wd] else { return }
            byWatch[wd] = nil
            byFolder[folder] = nil
            if stillInKernel {
                inotifytools_remove_watch_by_wd(wd)
            } else {
                Self.forget(wd, name: folder == "/" ? "/" : folder + "/")
            }
        }

        private mutating func remove(_ folder: String, _ wd: Int32) {
            byFolder[folder] = nil
            byWatch[wd] = nil
            // A folder already deleted took its watch with it (its IN_DELETE_SELF not read
            // yet): asking the kernel would fail, and the library print that to stderr.
            var info = stat()
            if lstat(folder, &info) != 0 || inotifytools_remove_watch_by_wd(wd) != 1 {
                Self.forget(wd, name: folder == "/" ? "/" : folder + "/")
            }
        }

        /// A watch the kernel already dropped stays in libinotifytools' tables (its removal
        /// fails): it is renamed out of the way so that the folder's next watch gets its
        /// name. Appending "\u{1}" keeps the entry's place in the library's name-ordered
        /// tree (no name sorts between "x/" and "x/\u{1}"), so the tree stays ordered. The
        /// entry itself stays (about 100 bytes per deleted folder that was watched).
        private static func forget(_ wd: Int32, name: String) {
            inotifytools_set_filename_by_wd(wd, name + "\u{1}")
        }
    }
}
