import VPCModel
