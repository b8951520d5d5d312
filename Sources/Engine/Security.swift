// Authenticated, encrypted cluster traffic (docs/security.md): CURVE key files and their
// loaders. The coordinator's guard (a ZAP handler that admits only authorized client keys)
// and the loopback rule for binding without keys are in CurveGuard.swift.
//
// The coordinator's flow:
//
//     let context = try ZMQContext()
//     let guard = try CurveGuard(context: context, config: server, log: log)   // before any bind
//     let router = try context.socket(.router)
//     try guard.configureServer(router)
//     try router.bind(endpoint)
//     ... drop every message with !guard.admits(m) ...
//     router.close(); guard.stop()                                              // after the close
//
// A worker (or `ttcg status`) calls `client.configureClient(socket)` before `connect`.

import Foundation
import Wire
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Errors

/// A key file or key directory that cannot be used: one line naming the path and what is
/// wrong, e.g. `keys/worker.key: line 3: a CURVE key is 40 characters of Z85, got 39`.
/// Bad input, so commands exit 2 (`exitCode`).
public struct KeyFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file or directory at fault.
    public var path: String
    /// What is wrong with it, without the path.
    public var problem: String

    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
    /// Bad input the user can fix.
    public var exitCode: Int32 { 2 }
}

// MARK: - Z85 keys

/// CURVE keys as ZeroMQ writes them: 32 bytes in Z85 (ZeroMQ RFC 32), 40 characters.
public enum Z85Key {
    static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)
    /// Character -> digit, 0xFF for characters outside the alphabet.
    static let digits: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    /// The 32 bytes of a Z85 key, or why `text` is not one (a phrase to follow
    /// "not a CURVE key: ").
    public static func decode(_ text: String) -> Result<[UInt8], KeyProblem> {
        guard text.count == 40 else {
            return .failure(KeyProblem("a CURVE key is 40 characters of Z85, got \(text.count)"))
        }
        for (i, scalar) in text.unicodeScalars.enumerated() where scalar.value > 0x7F || digits[Int(scalar.value)] == 0xFF {
            let shown = scalar.value >= 0x21 && scalar.value < 0x7F ? "'\(scalar)'" : "U+\(String(scalar.value, radix: 16, uppercase: true))"
            return .failure(KeyProblem("\(shown) at position \(i + 1) is not a Z85 character"))
        }
        let chars = Array(text.utf8)   // 40 ASCII bytes now
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for group in 0..<8 {
            var value: UInt64 = 0
            for k in 0..<5 { value = value * 85 + UInt64(digits[Int(chars[group * 5 + k])]) }
            guard value <= UInt64(UInt32.max) else {
                return .failure(KeyProblem("characters \(group * 5 + 1)-\(group * 5 + 5) do not decode (a Z85 group above 2^32)"))
            }
            bytes.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)])
        }
        return .success(bytes)
    }

    /// True when `text` is a well-formed Z85 CURVE key.
    public static func isValid(_ text: String) -> Bool {
        if case .success = decode(text) { return true }
        return false
    }
}

/// Why a string is not a Z85 key.
public struct KeyProblem: Error, Sendable, Equatable {
    public var message: String
    init(_ message: String) { self.message = message }
}

// MARK: - Key files

/// Reading and writing ttcg's CURVE key files (the format of docs/security.md).
///
/// A key file is UTF-8 text. Blank lines and lines starting with `#` are comments. Every
/// other line is `public-key: KEY` or `secret-key: KEY`, where KEY is the 40-character Z85
/// text of `zmq_curve_keypair`; a line holding only a key is the kind of key the reader
/// expects. A secret key file (`*.key`, mode 0600) holds `secret-key` and, written by
/// `ttcg keygen`, also `public-key`, which must then be the secret's public half. A public
/// key file (`*.pub`) holds one `public-key` and never a secret.
public enum CurveKeyFiles {
    /// Larger files are not key files (and are not read whole).
    static let maxFileBytes = 64 << 10

    /// The files `ttcg keygen --out DIR` writes, relative to DIR.
    public static let coordinatorSecret = "coordinator.key"
    public static let coordinatorPublic = "coordinator.pub"
    public static let workerSecret = "worker.key"
    public static let workerPublic = "worker.pub"
    public static let authorizedDirectory = "authorized"

    // MARK: Reading

    /// The key pair of a secret key file, checked: well-formed, the secret's public half equal
    /// to the `public-key` line if there is one, and the file not readable by group or others.
    public static func readSecret(_ path: String) throws(KeyFileError) -> CurveKeyPair {
        let lines = try readKeyLines(path, expected: "secret-key")
        guard let secret = lines["secret-key"] else {
            throw KeyFileError(path: path, lines["public-key"] != nil
                ? "holds a public key only; give the secret key file (written by ttcg keygen as *.key)"
                : "no key in the file; expected a line `secret-key: KEY`")
        }
        let pair: CurveKeyPair
        do {
            pair = try CurveKeyPair(secretKey: secret.key)
        } catch {
            throw KeyFileError(path: path, "line \(secret.line): the secret key does not decode: \(error)")
        }
        if let stated = lines["public-key"], stated.key != pair.publicKey {
            throw KeyFileError(path: path, "line \(stated.line): the public key is not the public half of the secret key in line \(secret.line); the file was edited or mixed up, regenerate it with ttcg keygen")
        }
        try checkPrivate(path)
        return pair
    }

    /// The Z85 public key of a public key file.
    public static func readPublic(_ path: String) throws(KeyFileError) -> String {
        let lines = try readKeyLines(path, expected: "public-key")
        if lines["secret-key"] != nil {
            throw KeyFileError(path: path, "holds a secret key; a public key file must not (share only *.pub files, keep *.key private)")
        }
        guard let key = lines["public-key"] else {
            throw KeyFileError(path: path, "no key in the file; expected a line `public-key: KEY`")
        }
        return key.key
    }

    /// Every `*.pub` file in `directory` (not its subdirectories, not hidden files): the
    /// authorized client keys, each mapped to the file it came from. Fails closed: any bad
    /// file is an error, and so is a directory without keys.
    public static func readAuthorizedKeys(directory: String) throws(KeyFileError) -> [String: String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw KeyFileError(path: directory, "no such directory of authorized client keys")
        }
        guard isDirectory.boolValue else {
            throw KeyFileError(path: directory, "not a directory; --authorized-keys takes a directory of *.pub files")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw KeyFileError(path: directory, "cannot list the directory: \(reason(error))")
        }
        var keys: [String: String] = [:]
        for name in names.sorted() where name.hasSuffix(".pub") && !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { continue }
            let key = try readPublic(path)
            if let other = keys[key] {
                throw KeyFileError(path: path, "the same key as \(other); remove one of them")
            }
            keys[key] = path
        }
        guard !keys.isEmpty else {
            throw KeyFileError(path: directory, "no *.pub key files: no worker could connect (ttcg keygen writes one to DIR/authorized)")
        }
        return keys
    }

    struct KeyLine {
        var key: String
        var line: Int
    }

    /// The labelled keys of a file (`public-key`, `secret-key`), each checked to be Z85.
    static func readKeyLines(_ path: String, expected: String) throws(KeyFileError) -> [String: KeyLine] {
        let text = try readText(path)
        var keys: [String: KeyLine] = [:]
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var label = expected, value = line
            if let colon = line.firstIndex(of: ":"), ["public-key", "secret-key"].contains(String(line[..<colon])) {
                label = String(line[..<colon])
                value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            } else if line.contains(where: \.isWhitespace) || line.count != 40 {
                // The line is not echoed: in a secret key file it may hold the secret.
                if let colon = line.range(of: ": "), line[..<colon.lowerBound].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                    throw KeyFileError(path: path, "line \(number): unknown label '\(line[..<colon.lowerBound])'; expected public-key or secret-key")
                }
                throw KeyFileError(path: path, "line \(number): expected `public-key: KEY`, `secret-key: KEY` or a 40-character Z85 key")
            }
            if case .failure(let problem) = Z85Key.decode(value) {
                throw KeyFileError(path: path, "line \(number): not a CURVE key: \(problem.message)")
            }
            if let first = keys[label] {
                throw KeyFileError(path: path, "line \(number): a second \(label) (the first is in line \(first.line)); a key file holds one key of each kind")
            }
            keys[label] = KeyLine(key: value, line: number)
        }
        return keys
    }

    static func readText(_ path: String) throws(KeyFileError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KeyFileError(path: path, "no such key file")
        }
        guard !isDirectory.boolValue else { throw KeyFileError(path: path, "a directory, not a key file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KeyFileError(path: path, "cannot read the key file (permission denied?)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw KeyFileError(path: path, "cannot read the key file: \(reason(error))")
        }
        guard data.count <= maxFileBytes else { throw KeyFileError(path: path, "larger than 64 KiB: not a key file") }
        guard let text = String(data: data, encoding: .utf8) else { throw KeyFileError(path: path, "not UTF-8 text: not a key file") }
        return text
    }

    /// A secret key readable by group or others is refused, as ssh does.
    static func checkPrivate(_ path: String) throws(KeyFileError) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw KeyFileError(path: path, "permissions \(String(format: "%04o", mode)) are too open for a secret key; run chmod 600 \(path)")
        }
    }

    // MARK: Writing

    /// The text of a secret key file.
    public static func secretFileText(_ pair: CurveKeyPair, name: String) -> String {
        """
        # ttcg CURVE secret key: \(name)
        # Keep this file private (mode 0600). Its public half is in \(name).pub.
        public-key: \(pair.publicKey)
        secret-key: \(pair.secretKey)

        """
    }

    /// The text of a public key file.
    public static func publicFileText(_ publicKey: String, name: String) -> String {
        """
        # ttcg CURVE public key: \(name)
        public-key: \(publicKey)

        """
    }

    /// Writes `text` to `path` atomically (a temporary file renamed over it) with `mode`
    /// from the moment the file exists, so a secret is never readable by others even briefly.
    /// Refuses to replace an existing file unless `force`.
    public static func write(_ text: String, to path: String, mode: mode_t, force: Bool) throws(KeyFileError) {
        if !force && FileManager.default.fileExists(atPath: path) {
            throw KeyFileError(path: path, "exists; refusing to overwrite a key (use --force to replace every key)")
        }
        let temporary = "\(path).tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw KeyFileError(path: path, "cannot create the key file: \(String(cString: strerror(errno)))") }
        var failure: String?
        if fchmod(fd, mode) != 0 { failure = String(cString: strerror(errno)) }
        let bytes = Array(text.utf8)
        var written = 0
        while failure == nil && written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
            } else {
                written += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw KeyFileError(path: path, "cannot write the key file: \(failure)")
        }
    }

    /// What `generate` wrote.
    public struct Generated: Sendable, Equatable {
        public var coordinator: CurveKeyPair
        public var worker: CurveKeyPair
        /// Absolute or as given: DIR/coordinator.key, .pub, DIR/worker.key, .pub, DIR/authorized/worker.pub.
        public var files: [String]
    }

    /// `ttcg keygen --out DIR`: a coordinator key pair and a worker key pair, and the worker's
    /// public key authorized in DIR/authorized. Without `force`, nothing is written if any of
    /// the five files exists.
    @discardableResult
    public static func generate(into directory: String, force: Bool) throws(KeyFileError) -> Generated {
        guard ZMQLibrary.hasCurve else {
            throw KeyFileError(path: directory, "this libzmq (\(ZMQLibrary.versionString)) was built without CURVE support; no keys can be made")
        }
        let authorized = (directory as NSString).appendingPathComponent(authorizedDirectory)
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        let files = [path(coordinatorSecret), path(coordinatorPublic), path(workerSecret), path(workerPublic),
                     (authorized as NSString).appendingPathComponent(workerPublic)]
        if !force, let existing = files.first(where: { FileManager.default.fileExists(atPath: $0) }) {
            throw KeyFileError(path: existing, "exists; refusing to overwrite keys (use --force to replace them all)")
        }
        for dir in [directory, authorized] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw KeyFileError(path: dir, "exists and is not a directory") }
                continue
            }
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw KeyFileError(path: dir, "cannot create the directory: \(reason(error))")
            }
        }
        let coordinator: CurveKeyPair, worker: CurveKeyPair
        do {
            coordinator = try CurveKeyPair.generate()
            worker = try CurveKeyPair.generate()
        } catch {
            throw KeyFileError(path: directory, "cannot generate CURVE keys: \(error)")
        }
        try write(secretFileText(coordinator, name: "coordinator"), to: files[0], mode: 0o600, force: true)
        try write(publicFileText(coordinator.publicKey, name: "coordinator"), to: files[1], mode: 0o644, force: true)
        try write(secretFileText(worker, name: "worker"), to: files[2], mode: 0o600, force: true)
        try write(publicFileText(worker.publicKey, name: "worker"), to: files[3], mode: 0o644, force: true)
        try write(publicFileText(worker.publicKey, name: "worker"), to: files[4], mode: 0o644, force: true)
        return Generated(coordinator: coordinator, worker: worker, files: files)
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}

// MARK: - Configurations

/// The coordinator's side: its secret key and the public keys of the clients it admits
/// (workers and status clients). `--curve-secret FILE --authorized-keys DIR`.
public struct CurveServerConfig: Sendable, Equatable {
    public var secretKey: CurveKeyPair
    /// Z85 public keys.
    public var authorizedKeys: Set<String>
    /// Where each authorized key came from (for logs), if loaded from files.
    public var keyFiles: [String: String]

    public init(secretKey: CurveKeyPair, authorizedKeys: Set<String>) {
        self.secretKey = secretKey
        self.authorizedKeys = authorizedKeys
        self.keyFiles = [:]
    }

    /// Loads and checks both; errors name the file at fault.
    public static func load(secretFile: String, authorizedKeysDirectory: String) throws(KeyFileError) -> CurveServerConfig {
        let pair = try CurveKeyFiles.readSecret(secretFile)
        let files = try CurveKeyFiles.readAuthorizedKeys(directory: authorizedKeysDirectory)
        var config = CurveServerConfig(secretKey: pair, authorizedKeys: Set(files.keys))
        config.keyFiles = files
        return config
    }
}

/// A client's side (a worker, `ttcg status`): its key pair and the coordinator's public key.
/// `--curve-secret FILE --server-key FILE`.
public struct CurveClientConfig: Sendable, Equatable {
    public var keys: CurveKeyPair
    /// The coordinator's Z85 public key.
    public var serverPublicKey: String

    public init(keys: CurveKeyPair, serverPublicKey: String) {
        self.keys = keys
        self.serverPublicKey = serverPublicKey
    }

    public static func load(secretFile: String, serverKeyFile: String) throws(KeyFileError) -> CurveClientConfig {
        let pair = try CurveKeyFiles.readSecret(secretFile)
        let server = try CurveKeyFiles.readPublic(serverKeyFile)
        if server == pair.publicKey {
            throw KeyFileError(path: serverKeyFile, "is this client's own public key, not the coordinator's (give coordinator.pub)")
        }
        return CurveClientConfig(keys: pair, serverPublicKey: server)
    }

    /// Makes `socket` a CURVE client of the coordinator. Call before `connect`.
    public func configureClient(_ socket: ZMQSocket) throws(WireError) {
        try socket.set(.curveServerKey(serverPublicKey), .curvePublicKey(keys.publicKey),
                       .curveSecretKey(keys.secretKey))
    }
}
