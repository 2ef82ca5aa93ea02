import Foundation

/// Temporary files a crash left in a run's folder: an atomic write (checkpoint, kept WSD
/// checkpoint) goes to `.<name>.tmp-<pid>` and is renamed over its target, so a process killed
/// mid-write leaves its temporary behind. A job that holds the run's claim is the folder's only
/// writer, so it removes them all when it starts.
public enum StaleTemporaries {
    /// Whether `name` is such a temporary: `.<name>.tmp-<digits>`.
    public static func matches(_ name: String) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return false }
        let pid = name[range.upperBound...]
        return !pid.isEmpty && pid.allSatisfy(\.isNumber)
    }

    /// Removes the temporaries in `folder`; returns their names.
    @discardableResult
    public static func remove(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter(matches).filter { (try? FileManager.default.removeItem(at: folder.appendingPathComponent($0))) != nil }
    }
}
