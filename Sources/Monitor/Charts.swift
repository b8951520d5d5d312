// The dashboard's charts as inline SVG, drawn on the server: the price of anarchy against
// beta (log x axis, beta = inf at the right edge), market versus auction welfare at the beta
// nearest 1000, and throughput over time. No script draws anything; the page is complete
// without JavaScript. Every label from outside is escaped.

import Engine
import Foundation

/// Colours of the margins' lines and the welfare bars (distinct in print and for most
/// colour-blind readers).
let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

/// A plot area: data ranges mapped onto an SVG canvas of `width` x `height`.
struct PlotFrame {
    var width = 520.0, height = 280.0
    var left = 58.0, right = 16.0, top = 14.0, bottom = 44.0
    var x: ClosedRange<Double> = 0...1, y: ClosedRange<Double> = 0...1

    func px(_ v: Double) -> Double { left + (v - x.lowerBound) / span(x) * (width - left - right) }
    func py(_ v: Double) -> Double { height - bottom - (v - y.lowerBound) / span(y) * (height - top - bottom) }
    func span(_ r: ClosedRange<Double>) -> Double { max(r.upperBound - r.lowerBound, 1e-300) }

    /// The opening tag, the frame and the y axis with `ticks` labelled values.
    func open(label: String, yTitle: String, ticks: Int = 4) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(htmlEscaped(label))\">"
        s += "<rect class=\"plot-area\" x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"none\" stroke=\"#999\"/>"
        let step = span(y) / Double(ticks)
        for i in 0...ticks {
            let v = y.lowerBound + step * Double(i)
            s += "<line x1=\"\(f(left - 4))\" x2=\"\(f(left))\" y1=\"\(f(py(v)))\" y2=\"\(f(py(v)))\" stroke=\"#999\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(v) + 4))\" text-anchor=\"end\" font-size=\"11\">\(tickLabel(v, step: step))</text>"
        }
        s += "<text x=\"12\" y=\"\(f(top + (height - top - bottom) / 2))\" transform=\"rotate(-90 12 \(f(top + (height - top - bottom) / 2)))\" text-anchor=\"middle\" font-size=\"11\">\(htmlEscaped(yTitle))</text>"
        return s
    }
}

/// A coordinate for SVG: one decimal.
func f(_ v: Double) -> String { fixed(v, 1) }

/// `v` with `decimals` (0...9) digits after the point, rounded half away from zero; `nan`,
/// `inf`. Built from integers: a page has thousands of numbers, and `String(format:)` is
/// slow on Linux.
func fixed(_ v: Double, _ decimals: Int) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(v) * scale).rounded()
    guard scaled < 9e15 else { return String(format: "%.\(decimals)f", v) }
    let n = Int64(scaled), unit = Int64(scale)
    var text = (v < 0 && n != 0 ? "-" : "") + String(n / unit)
    if decimals > 0 {
        let fraction = String(n % unit)
        text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
    return text
}

/// A value label: 3 significant digits.
func short(_ v: Double) -> String { v.isFinite ? String(format: "%.3g", v) : "nan" }

/// A tick label with as many decimals as ticks `step` apart need to differ; thousands as
/// `12.5k`, millions as `1.2M`.
func tickLabel(_ v: Double, step: Double) -> String {
    guard v.isFinite, step > 0 else { return short(v) }
    if step >= 1e5 { return String(format: "%.3gM", v / 1e6) }
    if step >= 1e3 { return String(format: "%.3gk", v / 1e3) }
    let decimals = max(0, min(8, Int((-log10(step)).rounded(.up))))
    return fixed(abs(v) < step * 1e-6 ? 0 : v, decimals)
}

/// A beta for a label: `inf`, or 4 significant digits (the summary's `shortBeta`).
func betaText(_ beta: Double) -> String { beta.isFinite ? String(format: "%.4g", beta) : "inf" }

/// A y range covering `values` (and `include`), padded by 5 %; `fallback` when empty.
/// With `include`, that value is in the range, and the range ends there when no value lies
/// beyond it (welfare bars stand on 0).
func paddedRange(_ values: [Double], include: Double? = nil, fallback: ClosedRange<Double>) -> ClosedRange<Double> {
    var all = values.filter(\.isFinite)
    if let include { all.append(include) }
    guard var lo = all.min(), var hi = all.max() else { return fallback }
    if hi - lo < 1e-12 { let pad = max(abs(hi), 1) * 0.05; lo -= pad; hi += pad }
    let pad = (hi - lo) * 0.05
    return (lo == include ? lo : lo - pad)...(hi == include ? hi : hi + pad)
}

enum Charts {
    /// The PoA against beta of one market: one polyline per margin through the cells with
    /// finished points, a `poa-point` circle per such cell, a legend of margins.
    static func poa(_ m: MarketScience) -> String {
        let finite = m.betas.filter(\.isFinite).map(log10)
        let hasInf = m.betas.contains { !$0.isFinite }
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        // beta = inf sits in a slot of its own past the right end of the finite axis.
        let infX = hi + (hi - lo) * 0.12
        var means: [Double] = []
        for b in m.betas.indices { for g in m.marginLabels.indices { if let v = m.poaMean(beta: b, margin: g) { means.append(v) } } }
        let legendHeight = 18.0 * Double((m.marginLabels.count + 3) / 4)
        var frame = PlotFrame(height: 280 + legendHeight, bottom: 44 + legendHeight)
        frame.x = lo...(hasInf ? infX + (hi - lo) * 0.04 : hi)
        frame.y = paddedRange(means, fallback: 0.9...2)
        var s = frame.open(label: "price of anarchy against beta, market \(m.name)", yTitle: "price of anarchy")
        // x ticks: whole decades, and inf.
        for d in Int(lo.rounded(.up))...max(Int(lo.rounded(.up)), Int(hi.rounded(.down))) where Double(d) >= lo - 1e-9 && Double(d) <= hi + 1e-9 {
            let x = frame.px(Double(d))
            s += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(frame.height - frame.bottom))\" y2=\"\(f(frame.height - frame.bottom + 4))\" stroke=\"#999\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(frame.height - frame.bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">1e\(d)</text>"
        }
        if hasInf {
            let x = frame.px(infX)
            s += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(frame.top))\" y2=\"\(f(frame.height - frame.bottom + 4))\" stroke=\"#ccc\" stroke-dasharray=\"3 3\"/>"
            s += "<text class=\"beta-inf\" x=\"\(f(x))\" y=\"\(f(frame.height - frame.bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">inf</text>"
        }
        s += "<text x=\"\(f(frame.px((lo + hi) / 2)))\" y=\"\(f(frame.height - frame.bottom + 32))\" text-anchor=\"middle\" font-size=\"11\">beta (log scale)</text>"
        // y = 1: no inefficiency.
        if frame.y.contains(1) {
            s += "<line x1=\"\(f(frame.left))\" x2=\"\(f(frame.width - frame.right))\" y1=\"\(f(frame.py(1)))\" y2=\"\(f(frame.py(1)))\" stroke=\"#bbb\" stroke-dasharray=\"2 4\"/>"
        }
        let betaTexts = m.betas.map(betaText)
        // Lines run in order of beta, whatever the grid's order (a spec may list 200 after 1e6).
        let byBeta = m.betas.indices.sorted { m.betas[$0] < m.betas[$1] }
        for g in m.marginLabels.indices {
            let colour = palette[g % palette.count], margin = htmlEscaped(m.marginLabels[g])
            var points: [(x: String, y: String, beta: Int, value: Double)] = []
            for b in byBeta {
                guard let v = m.poaMean(beta: b, margin: g) else { continue }
                let x = m.betas[b].isFinite ? frame.px(log10(m.betas[b])) : frame.px(infX)
                points.append((f(x), f(frame.py(v)), b, v))
            }
            // One group per margin: its line, then a circle per cell (hover: the numbers).
            s += "<g class=\"poa-margin\" data-margin=\"\(margin)\" fill=\"\(colour)\">"
            if points.count > 1 {
                s += "<polyline class=\"poa-line\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\""
                    + points.map { "\($0.x),\($0.y)" }.joined(separator: " ") + "\"/>"
            }
            for p in points {
                let seeds = m.poaCount[p.beta * m.marginLabels.count + g]
                s += "<circle class=\"poa-point\" cx=\"\(p.x)\" cy=\"\(p.y)\" r=\"2.5\"><title>beta \(betaTexts[p.beta]), margin \(margin): PoA \(fixed(p.value, 4)), \(seeds) seed\(seeds == 1 ? "" : "s")</title></circle>"
            }
            s += "</g>"
        }
        s += legend(m.marginLabels.map { "margin \($0)" }, top: 280 + 8, width: frame.width, swatch: .line)
        return s + "</svg>"
    }

    /// Market versus auction welfare at the table beta, per margin: two bars each, in units
    /// of $1e-3 per query.
    static func welfare(_ m: MarketScience) -> String {
        var values: [Double] = []
        for g in m.marginLabels.indices {
            let w = m.welfareMeans(margin: g)
            values += [w.market, w.auction].compactMap { $0.map { $0 * 1e3 } }
        }
        var frame = PlotFrame(height: 230 + 18, bottom: 44 + 18)
        frame.x = 0...Double(max(1, m.marginLabels.count))
        frame.y = paddedRange(values, include: 0, fallback: 0...1)
        var s = frame.open(label: "welfare, market and auction, at beta \(betaText(m.betas[m.tableBetaIndex])), market \(m.name)", yTitle: "welfare ($1e-3 / query)")
        let zero = frame.py(0)
        s += "<line x1=\"\(f(frame.left))\" x2=\"\(f(frame.width - frame.right))\" y1=\"\(f(zero))\" y2=\"\(f(zero))\" stroke=\"#666\"/>"
        let group = (frame.width - frame.left - frame.right) / Double(max(1, m.marginLabels.count))
        for g in m.marginLabels.indices {
            let w = m.welfareMeans(margin: g)
            let x0 = frame.left + group * Double(g)
            let barWidth = min(40, group * 0.3)
            for (k, (kind, value)) in [("market", w.market), ("auction", w.auction)].enumerated() {
                let x = x0 + group / 2 - barWidth - 2 + Double(k) * (barWidth + 4)
                guard let v = value.map({ $0 * 1e3 }) else {
                    s += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(zero - 4))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#999\">…</text>"
                    continue
                }
                let y = frame.py(v)
                s += "<rect class=\"welfare-bar\" data-kind=\"\(kind)\" data-margin=\"\(htmlEscaped(m.marginLabels[g]))\" x=\"\(f(x))\" y=\"\(f(min(y, zero)))\" width=\"\(f(barWidth))\" height=\"\(f(abs(zero - y)))\" fill=\"\(palette[k])\">"
                    + "<title>\(kind) welfare at margin \(htmlEscaped(m.marginLabels[g])): \(fixed(v, 3)) ($1e-3 per query)</title></rect>"
                s += "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(min(y, zero) - 3))\" text-anchor=\"middle\" font-size=\"10\">\(short(v))</text>"
            }
            s += "<text x=\"\(f(x0 + group / 2))\" y=\"\(f(frame.height - frame.bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">margin \(htmlEscaped(m.marginLabels[g]))</text>"
        }
        s += legend(["market", "auction"], top: 230 - 6, width: frame.width, swatch: .box)
        return s + "</svg>"
    }

    /// Games per second against elapsed time.
    static func throughput(_ h: ThroughputHistory) -> String {
        let rates = h.rates
        var frame = PlotFrame(height: 170, bottom: 34)
        frame.x = (rates.first?.seconds ?? 0)...max((rates.last?.seconds ?? 1), (rates.first?.seconds ?? 0) + 1e-6)
        frame.y = 0...max(rates.map(\.rate).filter(\.isFinite).max() ?? 1, 1) * 1.1
        var s = frame.open(label: "games per second over time", yTitle: "games/s", ticks: 3)
        if rates.isEmpty {
            s += "<text x=\"\(f(frame.width / 2))\" y=\"\(f(frame.height / 2))\" text-anchor=\"middle\" font-size=\"12\" fill=\"#999\">waiting for the first results</text>"
        } else {
            s += "<polyline class=\"throughput-line\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\""
                + rates.map { "\(f(frame.px($0.seconds))),\(f(frame.py(max(0, $0.rate))))" }.joined(separator: " ") + "\"/>"
            for (t, anchor) in [(frame.x.lowerBound, "start"), (frame.x.upperBound, "end")] {
                s += "<text x=\"\(f(frame.px(t)))\" y=\"\(f(frame.height - frame.bottom + 16))\" text-anchor=\"\(anchor)\" font-size=\"11\">\(clock(t))</text>"
            }
        }
        return s + "</svg>"
    }

    enum Swatch { case line, box }

    /// A row (or rows) of legend entries at `top`, four per row.
    static func legend(_ labels: [String], top: Double, width: Double, swatch: Swatch) -> String {
        var s = "<g class=\"legend\">"
        for (i, label) in labels.enumerated() {
            let x = 60 + Double(i % 4) * 115, y = top + 18 * Double(i / 4)
            let colour = palette[i % palette.count]
            switch swatch {
            case .line: s += "<line x1=\"\(f(x))\" x2=\"\(f(x + 18))\" y1=\"\(f(y - 4))\" y2=\"\(f(y - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            case .box: s += "<rect x=\"\(f(x))\" y=\"\(f(y - 10))\" width=\"12\" height=\"10\" fill=\"\(colour)\"/>"
            }
            s += "<text x=\"\(f(x + 22))\" y=\"\(f(y))\" font-size=\"11\">\(htmlEscaped(label))</text>"
        }
        return s + "</g>"
    }
}
