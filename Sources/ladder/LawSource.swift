import ArgumentParser
import Foundation
import ScalingLaws
import Jobs
import Store

/// Which law a command plans with: a published one, or a stored fit.
struct LawOptions: ParsableArguments {
    enum Published: String, ExpressibleByArgument, CaseIterable { case chinchilla, epoch }

    @Option(help: "Published law: chinchilla (Hoffmann et al. 2022) or epoch (Besiroglu et al. 2024).")
    var law: Published?

    @Option(help: "A stored fit: its id, or 'latest' (the default when the store has a parametric fit).")
    var fit: String?

    func validate() throws {
        if law != nil && fit != nil { throw ValidationError("use --law or --fit, not both") }
    }

    /// The law, its name, and the bootstrap laws of a stored fit (for intervals).
    func resolve(store: StoreOptions) throws -> (law: ChinchillaLaw, name: String, bootstrap: [ChinchillaLaw], level: Double?) {
        try resolve(try stored(store: store), store: store)
    }

    /// The same from a fit already looked up with `stored(store:)` (one lookup for the law, its
    /// task link and its counting).
    func resolve(_ stored: StoredFit?, store: StoreOptions) throws -> (law: ChinchillaLaw, name: String, bootstrap: [ChinchillaLaw], level: Double?) {
        if let law {
            return law == .chinchilla ? (.chinchilla, "chinchilla (Hoffmann et al. 2022)", [], nil)
                : (.epoch, "epoch (Besiroglu et al. 2024)", [], nil)
        }
        guard let record = stored?.record else {
            if fit != nil { throw ValidationError("no parametric fit in \(store.resolvedPath); run `ladder fit` first") }
            return (.chinchilla, "chinchilla (Hoffmann et al. 2022; no stored fit)", [], nil)
        }
        guard record.kind == .parametric else {
            throw ValidationError("fit \(record.id!) is an \(record.kind.rawValue) fit; planning needs a parametric fit (ladder fit --method parametric)")
        }
        return try Self.decode(record)
    }

    /// A stored fit and the database it was read from.
    struct StoredFit {
        let record: FitRecord
        let db: ResultStore
    }

    /// The stored fit these options name (nil for a published law, or when no fit is stored).
    func stored(store: StoreOptions) throws -> StoredFit? {
        guard law == nil else { return nil }
        if fit == nil && !FileManager.default.fileExists(atPath: store.resolvedPath) { return nil }
        let db = try store.openForReading()
        let record: FitRecord?
        switch fit {
        case nil, "latest"?: record = try db.latestFit(kind: .parametric)
        case let id?:
            guard let n = Int64(id) else { throw ValidationError("--fit takes a fit id or 'latest', got '\(id)'") }
            guard let found = try db.fit(id: n) else { throw ValidationError("no fit with id \(n) in \(db.path)") }
            record = found
        }
        return record.map { StoredFit(record: $0, db: db) }
    }

    static func decode(_ record: FitRecord) throws -> (law: ChinchillaLaw, name: String, bootstrap: [ChinchillaLaw], level: Double?) {
        let stored: StoredLaw
        do { stored = try StoredLaw.decode(record) } catch { throw ValidationError("\(error)") }
        return (stored.law, stored.name, stored.bootstrap, stored.level)
    }
}
