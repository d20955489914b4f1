import Synchronization

#if os(Linux)
/// glibc's `malloc_trim` (malloc.h, which the Glibc module does not import).
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif

/// The bytes of request bodies a server is receiving, across all its connections: bounded, so that many
/// slow uploads cannot take the machine's memory (1,000 connections each sending 1 MiB slowly once held
/// 1.26 GB). A request whose body does not fit is answered 503 and its connection closed.
final class BodyBudget: Sendable {
    /// 64 MiB: 64 bodies of the largest size the API takes, in flight at once.
    static let defaultLimit = 64 << 20

    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int = BodyBudget.defaultLimit) { self.limit = limit }

    /// Takes `bytes` from the budget, if they fit.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while current + bytes <= limit {
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + bytes, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.subtract(bytes, ordering: .acquiringAndReleasing)
    }

    var inUse: Int { used.load(ordering: .relaxed) }
}

/// Gives freed heap memory back to the operating system (glibc keeps it otherwise): after a burst of
/// connections has closed, the server's resident memory returns to what it holds.
func returnFreedMemory() {
    #if os(Linux)
    _ = mallocTrim(0)
    #endif
}
