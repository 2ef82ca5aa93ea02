import Foundation

/// Marker shapes.
public enum MarkerShape: String, Sendable {
    case circle, square, diamond, triangle, cross
}

/// How a line is drawn.
public struct LineStyle: Sendable, Equatable {
    public var color: String
    public var width: Double
    /// SVG `stroke-dasharray`, e.g. "6 4"; nil for solid.
    public var dash: String?
    public var opacity: Double

    public init(color: String, width: Double = 2, dash: String? = nil, opacity: Double = 1) {
        self.color = color; self.width = width; self.dash = dash; self.opacity = opacity
    }
}

/// One marker: where it is, its tooltip, and `data-*` attributes (the exact values it shows).
public struct MarkerPoint: Sendable {
    public var x: Double
    public var y: Double
    public var title: String?
    public var data: [(String, String)]

    public init(x: Double, y: Double, title: String? = nil, data: [(String, String)] = []) {
        self.x = x; self.y = y; self.title = title; self.data = data
    }
}

/// A legend row.
public struct LegendEntry: Sendable {
    public enum Symbol: Sendable {
        case line(LineStyle)
        case marker(MarkerShape, String)
        case band(String)
    }
    public var label: String
    public var symbol: Symbol

    public init(_ label: String, _ symbol: Symbol) {
        self.label = label; self.symbol = symbol
    }
}

public enum LegendPlacement: Sendable {
    case topRight, topLeft, bottomRight, bottomLeft
    /// In a column right of the plot area (reserved with the panel's `legendColumn`): never over data.
    case outside
}

/// One plot: a frame with x and y axes (log or linear), grid, ticks and labels, and series drawn
/// in data coordinates, clipped to the plot area. Build it with the values it must show, add
/// series, then ``render(into:id:)``.
public struct Panel {
    public let originX: Double, originY: Double, width: Double, height: Double
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xFormat: TickFormat
    public var yFormat: TickFormat
    public var legendPlacement: LegendPlacement = .topRight
    public private(set) var x: Scale
    public private(set) var y: Scale
    private var layers: [(inout SVGWriter, Panel) -> Void] = []
    public private(set) var legend: [LegendEntry] = []
    private var notes: [String] = []
    /// Lines under the panel (below the x-axis title), never over the plot.
    public private(set) var footnotes: [String] = []
    /// Width kept right of the plot area for an ``LegendPlacement/outside`` legend.
    public let legendColumn: Double

    /// Space for tick labels and axis titles around the plot area.
    static let left = 74.0, right = 16.0, top = 34.0, bottom = 52.0
    /// Height of one footnote line.
    public static let footnoteLine = 15.0

    /// A panel at (`originX`, `originY`) of the given outer size; the scales cover `xValues` and
    /// `yValues` (with a margin).
    public init(x originX: Double, y originY: Double, width: Double, height: Double, title: String,
                xLabel: String, yLabel: String, xKind: ScaleKind, yKind: ScaleKind,
                xValues: [Double], yValues: [Double], xFormat: TickFormat = .plain, yFormat: TickFormat = .plain,
                legendColumn: Double = 0) {
        self.originX = originX; self.originY = originY; self.width = width; self.height = height
        self.legendColumn = legendColumn
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xFormat = xFormat; self.yFormat = yFormat
        let plotLeft = originX + Self.left, plotRight = originX + width - Self.right - legendColumn
        let plotTop = originY + Self.top, plotBottom = originY + height - Self.bottom
        x = Scale(kind: xKind, covering: xValues, range: (plotLeft, plotRight))
        y = Scale(kind: yKind, covering: yValues, range: (plotBottom, plotTop))
    }

    var plotLeft: Double { originX + Self.left }
    var plotRight: Double { originX + width - Self.right - legendColumn }
    var plotTop: Double { originY + Self.top }
    var plotBottom: Double { originY + height - Self.bottom }

    /// A line through data points (points a log axis cannot show break the line).
    public mutating func line(_ points: [(Double, Double)], style: LineStyle, kind: String,
                              data: [(String, String)] = [], legend: String? = nil, title: String? = nil) {
        let attrs = [("class", "series " + kind), ("fill", "none"), ("stroke", style.color),
                     ("stroke-width", SVGWriter.number(style.width)), ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
            + (style.dash.map { [("stroke-dasharray", $0)] } ?? [])
            + (style.opacity < 1 ? [("stroke-opacity", SVGWriter.number(style.opacity))] : [])
            + data
        layers.append { w, p in
            let d = SVGWriter.path(points.map { (p.x($0.0), p.y($0.1)) })
            guard !d.isEmpty else { return }
            w.element("path", [("d", d)] + attrs, title: title)
        }
        if let legend { self.legend.append(LegendEntry(legend, .line(style))) }
    }

    /// A shaded band between `lower` and `upper` (same x values).
    public mutating func band(x xs: [Double], lower: [Double], upper: [Double], color: String, opacity: Double = 0.2,
                              kind: String, legend: String? = nil) {
        precondition(xs.count == lower.count && xs.count == upper.count, "band needs one lower and one upper value per x")
        layers.append { w, p in
            let ok = xs.indices.filter { p.x(xs[$0]).isFinite && p.y(lower[$0]).isFinite && p.y(upper[$0]).isFinite }
            guard ok.count >= 2 else { return }
            let pts = ok.map { (p.x(xs[$0]), p.y(upper[$0])) } + ok.reversed().map { (p.x(xs[$0]), p.y(lower[$0])) }
            w.element("path", [("class", "series " + kind), ("d", SVGWriter.path(pts) + " Z"), ("fill", color),
                               ("fill-opacity", SVGWriter.number(opacity)), ("stroke", "none")])
        }
        if let legend { self.legend.append(LegendEntry(legend, .band(color))) }
    }

    /// Markers at data points.
    public mutating func markers(_ points: [MarkerPoint], shape: MarkerShape, color: String, size: Double = 4.5,
                                 kind: String, filled: Bool = true, legend: String? = nil) {
        layers.append { w, p in
            for m in points {
                let px = p.x(m.x), py = p.y(m.y)
                guard px.isFinite && py.isFinite else { continue }
                Self.marker(&w, shape: shape, x: px, y: py, size: size, color: color, filled: filled,
                            attrs: [("class", "marker " + kind)] + m.data, title: m.title)
            }
        }
        if let legend { self.legend.append(LegendEntry(legend, .marker(shape, color))) }
    }

    /// Text at a data point.
    public mutating func label(_ text: String, at point: (Double, Double), dx: Double = 6, dy: Double = -6,
                               anchor: TextAnchor = .start, color: String = "#222", size: Double = 11) {
        layers.append { w, p in
            let px = p.x(point.0), py = p.y(point.1)
            guard px.isFinite && py.isFinite else { return }
            w.text(text, x: px + dx, y: py + dy, anchor: anchor, size: size, fill: color)
        }
    }

    /// A line of text under the title (e.g. why a fit is missing).
    public mutating func note(_ text: String) { notes.append(text) }

    /// A line under the panel, below the x-axis title (the figure's height must include
    /// `footnotes.count · footnoteLine` more).
    public mutating func footnote(_ text: String) { footnotes.append(text) }

    /// The plot area (x, y, width, height) in SVG coordinates.
    public var plotArea: (x: Double, y: Double, width: Double, height: Double) {
        (plotLeft, plotTop, plotRight - plotLeft, plotBottom - plotTop)
    }

    public mutating func addLegend(_ entry: LegendEntry) { legend.append(entry) }

    static func marker(_ w: inout SVGWriter, shape: MarkerShape, x: Double, y: Double, size s: Double, color: String,
                       filled: Bool, attrs: [(String, String)], title: String?) {
        let paint: [(String, String)] = [("fill", filled ? color : "#ffffff"), ("stroke", filled ? "#ffffff" : color),
                                         ("stroke-width", filled ? "0.8" : "1.6")]
        let n = SVGWriter.number
        switch shape {
        case .circle:
            w.element("circle", attrs + [("cx", n(x)), ("cy", n(y)), ("r", n(s))] + paint, title: title)
        case .square:
            w.element("rect", attrs + [("x", n(x - s)), ("y", n(y - s)), ("width", n(2 * s)), ("height", n(2 * s))] + paint, title: title)
        case .diamond:
            let d = SVGWriter.path([(x, y - s * 1.4), (x + s * 1.4, y), (x, y + s * 1.4), (x - s * 1.4, y)]) + " Z"
            w.element("path", attrs + [("d", d)] + paint, title: title)
        case .triangle:
            let d = SVGWriter.path([(x, y - s * 1.3), (x + s * 1.2, y + s * 0.9), (x - s * 1.2, y + s * 0.9)]) + " Z"
            w.element("path", attrs + [("d", d)] + paint, title: title)
        case .cross:
            let d = "M\(n(x - s)) \(n(y - s)) L\(n(x + s)) \(n(y + s)) M\(n(x - s)) \(n(y + s)) L\(n(x + s)) \(n(y - s))"
            w.element("path", attrs + [("d", d), ("fill", "none"), ("stroke", color), ("stroke-width", "2")], title: title)
        }
    }

    /// Draws the panel. `id` must be unique in the page (it names the clip path).
    public func render(into w: inout SVGWriter, id: String) {
        let n = SVGWriter.number
        let clip = id + "-clip"
        w.group([("class", "panel"), ("id", id)])
        w.raw("<defs><clipPath id=\"\(SVGWriter.escape(clip))\"><rect x=\"\(n(plotLeft))\" y=\"\(n(plotTop))\" width=\"\(n(plotRight - plotLeft))\" height=\"\(n(plotBottom - plotTop))\"/></clipPath></defs>")
        w.element("rect", [("x", n(plotLeft)), ("y", n(plotTop)), ("width", n(plotRight - plotLeft)),
                           ("height", n(plotBottom - plotTop)), ("fill", "#fcfcfc"), ("stroke", "none")])
        let xt = x.ticks(target: max(3, Int((plotRight - plotLeft) / 90)))
        let yt = y.ticks(target: max(3, Int((plotBottom - plotTop) / 60)))
        // Grid.
        w.group([("class", "grid"), ("stroke", Palette.grid), ("stroke-width", "1")])
        for v in xt.major { w.element("line", [("x1", n(x(v))), ("y1", n(plotTop)), ("x2", n(x(v))), ("y2", n(plotBottom))]) }
        for v in yt.major { w.element("line", [("x1", n(plotLeft)), ("y1", n(y(v))), ("x2", n(plotRight)), ("y2", n(y(v)))]) }
        w.close()
        // Axes, ticks and tick labels.
        w.group([("class", "axis x-axis"), ("stroke", Palette.axis)])
        w.element("line", [("x1", n(plotLeft)), ("y1", n(plotBottom)), ("x2", n(plotRight)), ("y2", n(plotBottom))])
        for v in xt.minor { w.element("line", [("x1", n(x(v))), ("y1", n(plotBottom)), ("x2", n(x(v))), ("y2", n(plotBottom + 3))]) }
        for v in xt.major {
            w.element("line", [("x1", n(x(v))), ("y1", n(plotBottom)), ("x2", n(x(v))), ("y2", n(plotBottom + 6))])
            w.text(xFormat.label(v), x: x(v), y: plotBottom + 19, anchor: .middle, size: 11, fill: "#333",
                   extra: [("stroke", "none"), ("class", "tick-label")])
        }
        w.text(xLabel, x: (plotLeft + plotRight) / 2, y: plotBottom + 40, anchor: .middle, size: 13, fill: "#222",
               extra: [("stroke", "none"), ("class", "axis-label")])
        w.close()
        w.group([("class", "axis y-axis"), ("stroke", Palette.axis)])
        w.element("line", [("x1", n(plotLeft)), ("y1", n(plotTop)), ("x2", n(plotLeft)), ("y2", n(plotBottom))])
        for v in yt.minor { w.element("line", [("x1", n(plotLeft - 3)), ("y1", n(y(v))), ("x2", n(plotLeft)), ("y2", n(y(v)))]) }
        for v in yt.major {
            w.element("line", [("x1", n(plotLeft - 6)), ("y1", n(y(v))), ("x2", n(plotLeft)), ("y2", n(y(v)))])
            w.text(yFormat.label(v), x: plotLeft - 9, y: y(v) + 4, anchor: .end, size: 11, fill: "#333",
                   extra: [("stroke", "none"), ("class", "tick-label")])
        }
        let cy = (plotTop + plotBottom) / 2
        w.text(yLabel, x: originX + 16, y: cy, anchor: .middle, size: 13, fill: "#222", rotate: -90,
               extra: [("stroke", "none"), ("class", "axis-label")])
        w.close()
        // Series.
        w.group([("class", "series-group"), ("clip-path", "url(#\(clip))")])
        for layer in layers { layer(&w, self) }
        w.close()
        w.element("rect", [("x", n(plotLeft)), ("y", n(plotTop)), ("width", n(plotRight - plotLeft)),
                           ("height", n(plotBottom - plotTop)), ("fill", "none"), ("stroke", Palette.axis), ("stroke-width", "1")])
        w.text(title, x: plotLeft, y: originY + 20, size: 14, weight: "bold", extra: [("class", "panel-title")])
        for (i, note) in notes.enumerated() {
            w.text(note, x: plotLeft + 8, y: plotTop + 16 + Double(i) * 15, size: 11, fill: "#a33", extra: [("class", "note")])
        }
        for (i, line) in footnotes.enumerated() {
            w.text(line, x: plotLeft, y: originY + height + 4 + Double(i) * Self.footnoteLine, size: 11, fill: "#a33",
                   extra: [("class", "footnote")])
        }
        renderLegend(into: &w)
        w.close()
    }

    func renderLegend(into w: inout SVGWriter) {
        guard !legend.isEmpty else { return }
        let n = SVGWriter.number
        let rowHeight = 17.0
        let longest = legend.map { Self.textWidth($0.label, size: 11) }.max() ?? 0
        let boxW = legendPlacement == .outside ? legendColumn - 8 : min(plotRight - plotLeft - 16, 36 + longest + 10)
        let boxH = Double(legend.count) * rowHeight + 8
        let bx: Double, by: Double
        switch legendPlacement {
        case .topRight: bx = plotRight - boxW - 8; by = plotTop + 8
        case .topLeft: bx = plotLeft + 8; by = plotTop + 8 + Double(notes.count) * 15
        case .bottomRight: bx = plotRight - boxW - 8; by = plotBottom - boxH - 8
        case .bottomLeft: bx = plotLeft + 8; by = plotBottom - boxH - 8
        case .outside: bx = plotRight + 8; by = plotTop
        }
        w.group([("class", "legend")])
        w.element("rect", [("x", n(bx)), ("y", n(by)), ("width", n(boxW)), ("height", n(boxH)), ("fill", "#ffffff"),
                           ("fill-opacity", "0.88"), ("stroke", "#cccccc"), ("rx", "3")])
        for (i, entry) in legend.enumerated() {
            let cy = by + 4 + rowHeight * (Double(i) + 0.5)
            let sx = bx + 8
            switch entry.symbol {
            case let .line(style):
                var attrs: [(String, String)] = [("x1", n(sx)), ("y1", n(cy)), ("x2", n(sx + 22)), ("y2", n(cy)),
                                                 ("stroke", style.color), ("stroke-width", n(style.width))]
                if let dash = style.dash { attrs.append(("stroke-dasharray", dash)) }
                w.element("line", attrs)
            case let .marker(shape, color):
                Self.marker(&w, shape: shape, x: sx + 11, y: cy, size: 4.5, color: color, filled: true, attrs: [], title: nil)
            case let .band(color):
                w.element("rect", [("x", n(sx)), ("y", n(cy - 5)), ("width", "22"), ("height", "10"), ("fill", color), ("fill-opacity", "0.3")])
            }
            w.text(Self.fitted(entry.label, width: boxW - 36, size: 11), x: sx + 28, y: cy + 4, size: 11, fill: "#222",
                   extra: [("class", "legend-label")])
        }
        w.close()
    }

    /// `text` cut with an ellipsis to about `width` pixels.
    static func fitted(_ text: String, width: Double, size: Double) -> String {
        let maxChars = max(4, Int(width / (size * 0.6)))
        return text.count <= maxChars ? text : String(text.prefix(maxChars - 1)) + "…"
    }

    /// A rough width of `text` in pixels (DejaVu Sans averages about 0.6 em per character).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }
}
