lepton_add_guest(wagi_probe SOURCES wagi_probe.c)
