import LocalVPCCommands

await LocalVPC.runFromCommandLine()
