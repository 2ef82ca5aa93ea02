import Foundation

/// Writes a report's page and figures into a folder.
public enum ReportWriter {
    /// Writes `report.html` and one SVG per figure (``Figure/fileName``) into `directory`
    /// (created when absent), each atomically. Returns the paths written, page first.
    @discardableResult
    public static func write(_ report: ScalingReport, to directory: URL) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError.cannotWrite(path: directory.path, detail: error.localizedDescription)
        }
        var files: [(URL, String)] = [(directory.appendingPathComponent("report.html"), HTMLPage.render(report))]
        for f in Figure.allCases {
            files.append((directory.appendingPathComponent(f.fileName), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Figures.svg(f, report)))
        }
        for (url, text) in files {
            do {
                try Data(text.utf8).write(to: url, options: .atomic)
            } catch {
                throw ReportError.cannotWrite(path: url.path, detail: error.localizedDescription)
            }
        }
        return files.map(\.0)
    }
}
