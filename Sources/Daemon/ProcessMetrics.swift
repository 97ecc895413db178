import Foundation

/// The process's own series, as every Prometheus client library exports them
/// (`process_*`), and the build: read from /proc at scrape time.
public enum ProcessMetrics {
    static let startTime: Double = {
        // Field 22 of /proc/self/stat: start time in clock ticks after boot.
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return Date().timeIntervalSince1970 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
            let uptime = (try? String(contentsOfFile: "/proc/uptime", encoding: .utf8))?.split(separator: " ").first
                .flatMap({ Double($0) })
        else {
            return Date().timeIntervalSince1970
        }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return Date().timeIntervalSince1970 - uptime + ticks / hz
    }()

    /// `zerverless_gitops_build_info` and `process_*` in the text format.
    public static func text(version: String) -> String {
        var out = "# HELP zerverless_gitops_build_info The running build.\n# TYPE zerverless_gitops_build_info gauge\n"
        out += "zerverless_gitops_build_info{version=\"\(version)\"} 1\n"
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
                usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        out +=
            "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\n"
        out += "process_cpu_seconds_total \(cpu)\n"
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let pages = statm.split(separator: " ").compactMap {
                Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let page = Double(sysconf(Int32(_SC_PAGESIZE)))
            if pages.count > 1 {
                out +=
                    "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n# TYPE process_virtual_memory_bytes gauge\n"
                out += "process_virtual_memory_bytes \(Int(pages[0] * page))\n"
                out +=
                    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n"
                out += "process_resident_memory_bytes \(Int(pages[1] * page))\n"
            }
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        out +=
            "# HELP process_open_fds Number of open file descriptors.\n# TYPE process_open_fds gauge\nprocess_open_fds \(fds)\n"
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            out +=
                "# HELP process_max_fds Maximum number of open file descriptors.\n# TYPE process_max_fds gauge\nprocess_max_fds \(limit.rlim_cur)\n"
        }
        out +=
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\n"
        out += "process_start_time_seconds \(Int(startTime))\n"
        return out
    }
}
