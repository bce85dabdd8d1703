lepton_add_guest(wasi_probe SOURCES wasi_probe.c)
