lepton_add_guest(wasi_imports SOURCES wasi_imports.c)
