// postgres2: postgres3.c's handler over fermyon:spin/postgres@2.0.0 (with
// fermyon:spin/rdbms-types@2.0.0), the Spin 2 SDKs' interface: same query protocol and replies;
// the date/time/timestamp parameter kinds don't exist in 2.0.0.
#define LEPTON_POSTGRES2 1
#include "postgres3.c"
