import ArgumentParser
import Foundation
import Store

/// `ladder runs delete`: removes runs, their metrics and their run folders.
struct RunsDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete runs of a sweep with their metrics and run folders.",
        discussion: """
            Without --yes, lists what would be deleted and changes nothing. The rows go in one \
            transaction; then each run's folder (<results>/<sweep>/runs/<id>/) is removed. Runs \
            still `running` are refused unless --force (their process may still be writing).
            """)

    @OptionGroup var store: StoreOptions

    @Option(help: "The sweep whose runs to delete.")
    var sweep: String

    @Option(name: .customLong("run"), help: "A run id to delete (repeatable).")
    var runIds: [Int64] = []

    @Option(help: "Delete every run of the sweep with this status.")
    var status: RunStatus?

    @Flag(help: "Delete (without it, only list what would be deleted).")
    var yes = false

    @Flag(help: "Also delete runs that are `running`.")
    var force = false

    func validate() throws {
        if runIds.isEmpty == (status == nil) {
            throw ValidationError("give either --run ID (repeatable) or --status STATUS")
        }
    }

    func run() throws {
        let db = try store.open()
        guard try db.sweep(named: sweep) != nil else { throw ValidationError("no sweep named '\(sweep)' in \(db.path)") }
        let all = try db.runsForDeletion(sweep: sweep)
        var chosen: [RunListing]
        if let status {
            chosen = all.filter { $0.run.status == status }
        } else {
            let byId = Dictionary(all.map { ($0.run.id!, $0) }, uniquingKeysWith: { a, _ in a })
            if let missing = runIds.first(where: { byId[$0] == nil }) {
                throw ValidationError("--run \(missing): sweep '\(sweep)' has no run \(missing); nothing was deleted")
            }
            chosen = runIds.compactMap { byId[$0] }
        }
        if chosen.isEmpty {
            print("no runs to delete")
            return
        }
        let running = chosen.filter { $0.run.status == .running }
        if !running.isEmpty && !force {
            throw ValidationError("runs \(running.map { String($0.run.id!) }.joined(separator: ", ")) are running (a process may still be writing them); stop them first or pass --force. Nothing was deleted")
        }
        let results = RunFolder.resultsFolder(of: db)
        let folders = chosen.map { RunFolder.location(resultsFolder: results, sweep: sweep, run: $0.run) }
        for (listing, folder) in zip(chosen, folders) {
            let exists = FileManager.default.fileExists(atPath: folder.path)
            print("\(yes ? "deleting" : "would delete") run \(listing.run.id!) \(listing.run.name ?? "-") (\(listing.run.status.rawValue))" + (exists ? " and \(folder.path)" : ""))
        }
        guard yes else {
            print("nothing deleted; add --yes to delete these \(chosen.count) run(s)")
            return
        }
        try db.deleteRuns(ids: chosen.map { $0.run.id! })
        for folder in folders where FileManager.default.fileExists(atPath: folder.path) {
            try RunFolder(url: folder).checkSafe()
            do { try FileManager.default.removeItem(at: folder) } catch {
                FileHandle.standardError.write(Data("warning: could not remove \(folder.path): \(error.localizedDescription)\n".utf8))
            }
        }
        print("deleted \(chosen.count) run(s) from sweep '\(sweep)'")
    }
}
