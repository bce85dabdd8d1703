lepton_add_guest(spin1_probe SOURCES spin1_probe.c REACTOR
  FLAGS -Wl,--allow-undefined)
