// Writing files so that a crash or a full disk never leaves a half-written one:
// write to a temporary file in the same folder, fsync it, then rename it over
// the target (atomic on POSIX file systems), and fsync the folder.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace heatmark {

// Replaces `path` with `bytes`. On failure throws heatmark::Error naming the
// path and the reason, removes the temporary file and leaves `path` as it was.
// `before_replace`, when given, runs once the new contents are safely on disk
// and just before they replace `path` (checkpoints keep the old file there).
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::function<void()>& before_replace = {});

// Reads a whole file; throws heatmark::Error naming the path when it cannot.
std::string read_file(const std::string& path);

}  // namespace heatmark
