// Writing files so that a crash or a full disk never leaves a half-written one:
// write to a temporary file in the same folder, fsync it, then rename it over
// the target (atomic on POSIX file systems), and fsync the folder.
#pragma once

#include <string>
#include <string_view>

namespace heatmark {

// Replaces `path` with `bytes`. On failure throws heatmark::Error naming the
// path and the reason, removes the temporary file and leaves `path` as it was.
void write_file_atomically(const std::string& path, std::string_view bytes);

// Reads a whole file; throws heatmark::Error naming the path when it cannot.
std::string read_file(const std::string& path);

}  // namespace heatmark
