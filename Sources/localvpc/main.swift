import LocalVPCCommands
import NIOCore
import NIOPosix

// Swift concurrency runs on SwiftNIO's event loops: a request's handler, the state actor and the
// socket I/O share threads, so a request does not hop between thread pools.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await LocalVPC.runFromCommandLine()
