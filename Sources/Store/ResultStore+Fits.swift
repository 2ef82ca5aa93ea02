import Foundation
import GRDB

extension ResultStore {
    /// The fits stored for one sweep, newest first, optionally of one kind.
    public func fits(sweepId: Int64, kind: FitKind? = nil) throws -> [FitRecord] {
        try read { db in
            var request = FitRecord.filter(Column("sweep_id") == sweepId).order(Column("id").desc)
            if let kind { request = request.filter(Column("kind") == kind.rawValue) }
            return try request.fetchAll(db)
        }
    }
}
