import CGit2
import CInotifyTools
import Testing

/// The system-library shims compile and link against Debian's libraries.
@Test func libgit2Links() {
    #expect(git_libgit2_init() >= 1)
    defer { git_libgit2_shutdown() }
    var major: Int32 = 0
    var minor: Int32 = 0
    var rev: Int32 = 0
    #expect(git_libgit2_version(&major, &minor, &rev) == 0)
    #expect(major >= 1)
    let features = git_libgit2_features()
    #expect(features & Int32(GIT_FEATURE_HTTPS.rawValue) != 0)
    #expect(features & Int32(GIT_FEATURE_SSH.rawValue) != 0)
}

@Test func libinotifytoolsLinks() {
    #expect(inotifytools_str_to_event("modify") == Int32(IN_MODIFY))
    #expect(inotifytools_str_to_event("moved_to") == Int32(IN_MOVED_TO))
}
