/// Writes SVG text: elements with escaped attributes and text, each resource a group with its ID
/// (`data-id`), so a page can find and highlight it.
struct SVGWriter {
    var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                if let ascii = character.asciiValue, ascii < 0x20 { continue }
                out.append(character)
            }
        }
        return out
    }

    mutating func raw(_ markup: String) { text += markup + "\n" }

    mutating func open(_ name: String, _ attributes: [(String, String)]) {
        text += "<\(name)" + attributes.map { " \($0.0)=\"\(Self.escape($0.1))\"" }.joined() + ">\n"
    }

    mutating func close(_ name: String) { text += "</\(name)>\n" }

    /// Opens a resource's group; `end()` closes it.
    mutating func begin(id: String, kind: String, dimmed: Bool = false) {
        open("g", [("class", "resource \(kind)\(dimmed ? " dimmed" : "")"), ("data-id", id)])
    }

    mutating func end() { close("g") }

    mutating func rect(
        _ box: DiagramLayout.Box, fill: String, stroke: String, width: Double = 1, radius: Double = 0, dash: String? = nil
    ) {
        var attributes = [
            ("x", fmt(box.x)), ("y", fmt(box.y)), ("width", fmt(box.width)), ("height", fmt(box.height)), ("fill", fill), ("stroke", stroke),
            ("stroke-width", fmt(width)),
        ]
        if radius > 0 { attributes += [("rx", fmt(radius))] }
        if let dash { attributes += [("stroke-dasharray", dash)] }
        text += "<rect" + attributes.map { " \($0.0)=\"\($0.1)\"" }.joined() + "/>\n"
    }

    mutating func text(
        _ value: String, x: Double, y: Double, anchor: String = "start", weight: String = "normal", size: Double = 11, fill: String = "#16191f"
    ) {
        var attributes = [("x", fmt(x)), ("y", fmt(y)), ("fill", fill)]
        if anchor != "start" { attributes.append(("text-anchor", anchor)) }
        if weight != "normal" { attributes.append(("font-weight", weight)) }
        if size != 11 { attributes.append(("font-size", fmt(size))) }
        text += "<text" + attributes.map { " \($0.0)=\"\($0.1)\"" }.joined() + ">\(Self.escape(value))</text>\n"
    }
}
