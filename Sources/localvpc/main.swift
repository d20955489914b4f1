import LocalVPCCommands

LocalVPC.runFromCommandLine()
