import Foundation
import TopologyFile
import VPCEngine
import VPCModel

/// Reads a design from whatever a user gives: a topology file, a CloudFormation template (JSON or
/// YAML, recognised by its content), or a directory of `describe-*` snapshots.
public enum DesignLoader {
    /// A problem reading a source: the file and what is wrong, every problem at once.
    public struct Failure: Error, CustomStringConvertible {
        public var diagnostics: [Diagnostic]
        public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
    }

    /// Loads `path`, and the intents of `intentsPath` when given.
    public static func load(_ path: String, intents intentsPath: String? = nil, options: ImportOptions = ImportOptions()) throws(Failure) -> Design {
        var design = try loadSource(path, options: options)
        if let intentsPath {
            let text = try read(intentsPath)
            do {
                let intents = try TopologyFile.intents(yaml: text, file: intentsPath, names: design.knownNames)
                design.intents += intents.map { intent in
                    var intent = intent
                    intent.query = design.resolve(intent.query)
                    return intent
                }
            } catch {
                throw Failure(diagnostics: error.diagnostics)
            }
        }
        return design
    }

    static func loadSource(_ path: String, options: ImportOptions) throws(Failure) -> Design {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Failure(diagnostics: [Diagnostic(file: path, line: 1, column: 1, message: "No such file or directory.")])
        }
        if isDirectory.boolValue {
            do {
                return try SnapshotImporter.load(directory: path, options: options)
            } catch {
                throw Failure(diagnostics: error.diagnostics)
            }
        }
        let text = try read(path)
        do {
            if let root = try? TemplateNode.parse(text, file: path), CloudFormationImporter.isTemplate(root) {
                return try CloudFormationImporter.load(text: text, file: path, options: options)
            }
            let file = try TopologyFile(yaml: text, file: path)
            var design = Design(source: .topologyFile, topology: file.topology, intents: file.intents, lines: file.lines)
            design.scopes = file.scopes
            return design
        } catch {
            throw Failure(diagnostics: error.diagnostics)
        }
    }

    static func read(_ path: String) throws(Failure) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(diagnostics: [
                Diagnostic(file: path, line: 1, column: 1, message: "Cannot read the file (\((error as NSError).localizedDescription)).")
            ])
        }
    }
}
