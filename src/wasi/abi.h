// The wasi_snapshot_preview1 ABI as seen from the host: error numbers, flag bits and the byte
// layout of the structures guests pass through linear memory (wasm32, little-endian). Values
// follow the witx definitions (wasi-libc's <wasi/api.h> states the same numbers and offsets).
#pragma once

#include <cstdint>

namespace lepton::wasi::abi {

enum class Errno : uint16_t {
  Success = 0,
  TooBig = 1,
  Acces = 2,
  Again = 6,
  Badf = 8,
  Exist = 20,
  Fault = 21,
  Inval = 28,
  Io = 29,
  Isdir = 31,
  Loop = 32,
  Mfile = 33,
  Nametoolong = 37,
  Nfile = 41,
  Noent = 44,
  Nomem = 48,
  Nosys = 52,
  Notdir = 54,
  Notempty = 55,
  Notsock = 57,
  Notsup = 58,
  Overflow = 61,
  Perm = 63,
  Rofs = 69,
  Spipe = 70,
  Notcapable = 76,
};

// What every write to the read-only file tree fails with. Wasmtime (and so Spin) answers
// writes to a read-only preopen with PERM ("operation not permitted"); lepton does the same so
// guests see the errno they see under Spin.
inline constexpr Errno kReadOnly = Errno::Perm;

enum Filetype : uint8_t {
  kFiletypeUnknown = 0,
  kFiletypeCharacterDevice = 2,
  kFiletypeDirectory = 3,
  kFiletypeRegularFile = 4,
};

// Rights bits.
inline constexpr uint64_t kRightFdDatasync = 1ull << 0;
inline constexpr uint64_t kRightFdRead = 1ull << 1;
inline constexpr uint64_t kRightFdSeek = 1ull << 2;
inline constexpr uint64_t kRightFdFdstatSetFlags = 1ull << 3;
inline constexpr uint64_t kRightFdSync = 1ull << 4;
inline constexpr uint64_t kRightFdTell = 1ull << 5;
inline constexpr uint64_t kRightFdWrite = 1ull << 6;
inline constexpr uint64_t kRightFdAdvise = 1ull << 7;
inline constexpr uint64_t kRightFdAllocate = 1ull << 8;
inline constexpr uint64_t kRightPathCreateDirectory = 1ull << 9;
inline constexpr uint64_t kRightPathCreateFile = 1ull << 10;
inline constexpr uint64_t kRightPathLinkSource = 1ull << 11;
inline constexpr uint64_t kRightPathLinkTarget = 1ull << 12;
inline constexpr uint64_t kRightPathOpen = 1ull << 13;
inline constexpr uint64_t kRightFdReaddir = 1ull << 14;
inline constexpr uint64_t kRightPathReadlink = 1ull << 15;
inline constexpr uint64_t kRightPathRenameSource = 1ull << 16;
inline constexpr uint64_t kRightPathRenameTarget = 1ull << 17;
inline constexpr uint64_t kRightPathFilestatGet = 1ull << 18;
inline constexpr uint64_t kRightPathFilestatSetSize = 1ull << 19;
inline constexpr uint64_t kRightPathFilestatSetTimes = 1ull << 20;
inline constexpr uint64_t kRightFdFilestatGet = 1ull << 21;
inline constexpr uint64_t kRightFdFilestatSetSize = 1ull << 22;
inline constexpr uint64_t kRightFdFilestatSetTimes = 1ull << 23;
inline constexpr uint64_t kRightPathSymlink = 1ull << 24;
inline constexpr uint64_t kRightPathRemoveDirectory = 1ull << 25;
inline constexpr uint64_t kRightPathUnlinkFile = 1ull << 26;
inline constexpr uint64_t kRightPollFdReadwrite = 1ull << 27;

// Rights that mean "open for writing" in path_open (what wasi-libc adds for O_WRONLY/O_RDWR).
inline constexpr uint64_t kWriteRights =
    kRightFdWrite | kRightFdDatasync | kRightFdAllocate | kRightFdFilestatSetSize;

// Directory rights as Wasmtime reports them for preopens ("the set many userlands expect"):
// wasi-libc (2022) refuses an open whose minimal rights the directory's inheriting rights lack,
// so write rights must be listed for write attempts to reach path_open and get kReadOnly there.
inline constexpr uint64_t kDirRightsBase =
    kRightPathCreateDirectory | kRightPathCreateFile | kRightPathLinkSource | kRightPathLinkTarget |
    kRightPathOpen | kRightFdReaddir | kRightPathReadlink | kRightPathRenameSource |
    kRightPathRenameTarget | kRightPathSymlink | kRightPathRemoveDirectory | kRightPathUnlinkFile |
    kRightPathFilestatGet | kRightPathFilestatSetTimes | kRightFdFilestatGet |
    kRightFdFilestatSetTimes;
inline constexpr uint64_t kDirRightsInheriting =
    kDirRightsBase | kRightFdDatasync | kRightFdRead | kRightFdSeek | kRightFdFdstatSetFlags |
    kRightFdSync | kRightFdTell | kRightFdWrite | kRightFdAdvise | kRightFdAllocate |
    kRightFdFilestatGet | kRightFdFilestatSetSize | kRightFdFilestatSetTimes |
    kRightPollFdReadwrite;
// What an open tree file can actually do: read, never write.
inline constexpr uint64_t kFileRights = kRightFdRead | kRightFdSeek | kRightFdTell |
                                        kRightFdFdstatSetFlags | kRightFdSync | kRightFdAdvise |
                                        kRightFdFilestatGet | kRightPollFdReadwrite;

// oflags, fdflags, lookupflags.
inline constexpr uint32_t kOflagCreat = 1;
inline constexpr uint32_t kOflagDirectory = 2;
inline constexpr uint32_t kOflagExcl = 4;
inline constexpr uint32_t kOflagTrunc = 8;
inline constexpr uint32_t kOflagsAll = 15;
inline constexpr uint32_t kFdflagAppend = 1;
inline constexpr uint32_t kFdflagDsync = 2;
inline constexpr uint32_t kFdflagNonblock = 4;
inline constexpr uint32_t kFdflagRsync = 8;
inline constexpr uint32_t kFdflagSync = 16;
inline constexpr uint32_t kFdflagsAll = 31;

inline constexpr uint32_t kWhenceSet = 0;
inline constexpr uint32_t kWhenceCur = 1;
inline constexpr uint32_t kWhenceEnd = 2;

inline constexpr uint32_t kClockRealtime = 0;
inline constexpr uint32_t kClockMonotonic = 1;
inline constexpr uint32_t kClockProcessCputime = 2;
inline constexpr uint32_t kClockThreadCputime = 3;

inline constexpr uint32_t kAdviceMax = 5;  // normal .. noreuse

inline constexpr uint8_t kEventClock = 0;
inline constexpr uint8_t kEventFdRead = 1;
inline constexpr uint8_t kEventFdWrite = 2;
inline constexpr uint16_t kEventHangup = 1;
inline constexpr uint16_t kSubclockAbstime = 1;

// Structure sizes and field offsets.
inline constexpr uint32_t kIovecSize = 8;  // buf u32 @0, buf_len u32 @4

inline constexpr uint32_t kFdstatSize = 24;  // filetype u8 @0, flags u16 @2, rights @8, @16

inline constexpr uint32_t kFilestatSize = 64;  // dev @0, ino @8, filetype u8 @16, nlink @24,
                                               // size @32, atim @40, mtim @48, ctim @56

inline constexpr uint32_t kPrestatSize = 8;  // tag u8 @0 (0 = dir), name_len u32 @4

inline constexpr uint32_t kDirentSize = 24;  // d_next @0, d_ino @8, d_namlen u32 @16,
                                             // d_type u8 @20; the name follows

inline constexpr uint32_t kSubscriptionSize = 48;  // userdata @0, tag u8 @8; clock: id u32 @16,
                                                   // timeout @24, precision @32, flags u16 @40;
                                                   // fd_read/fd_write: fd u32 @16
inline constexpr uint32_t kEventSize = 32;         // userdata @0, error u16 @8, type u8 @10,
                                                   // nbytes @16, flags u16 @24

}  // namespace lepton::wasi::abi
