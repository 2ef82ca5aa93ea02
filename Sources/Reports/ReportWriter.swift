import Foundation

/// Writes a report's page and figures into a folder.
public enum ReportWriter {
    /// A comment every page and figure carries near its start, so a later `ladder report` knows
    /// the files it may replace (anything else in the folder needs `--force`).
    public static let mark = "<!-- written by ladder report -->"

    /// The names of the files `write` creates: the page, then one SVG per figure.
    public static var fileNames: [String] { ["report.html"] + Figure.allCases.map(\.fileName) }

    /// Whether a file's first bytes carry `mark`.
    public static func isReportOutput(_ head: Data) -> Bool {
        String(decoding: head.prefix(4096), as: UTF8.self).contains(mark)
    }

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
            var svg = Figures.svg(f, report)
            if let end = svg.firstIndex(of: ">") { svg.insert(contentsOf: mark, at: svg.index(after: end)) }
            files.append((directory.appendingPathComponent(f.fileName), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg))
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
