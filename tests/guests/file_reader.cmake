lepton_add_guest(file_reader SOURCES file_reader.c)
