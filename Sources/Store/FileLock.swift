#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory whole-file lock (`flock`) held for the duration of a closure. Serializes schema
/// migration between processes that open a fresh database at the same moment.
enum FileLock {
    static func withExclusiveLock<T>(path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_CREAT | O_RDWR, 0o644)
        if fd < 0 {
            throw StoreError.cannotOpen(path: path, detail: "cannot create lock file (errno \(errno))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR {
                throw StoreError.cannotOpen(path: path, detail: "cannot lock (errno \(errno))")
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
