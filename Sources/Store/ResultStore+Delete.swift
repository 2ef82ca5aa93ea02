import GRDB

extension ResultStore {
    /// Deletes these runs with their metrics (the schema cascades), all in one transaction: every
    /// run goes or none does. Fits keep the ids they were fitted on. Returns the rows deleted.
    @discardableResult
    public func deleteRuns(ids: [Int64]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try write { db in
            var deleted = 0
            for id in ids {
                guard try RunRecord.deleteOne(db, key: id) else {
                    throw StoreError.notFound("no run \(id) in \(path); nothing was deleted")
                }
                deleted += 1
            }
            return deleted
        }
    }

    /// Every run of a sweep, finite or not (what `ladder runs delete` chooses from).
    public func runsForDeletion(sweep: String) throws -> [RunListing] {
        try allRuns(sweep: sweep)
    }
}
