// Where a command may write. The rules every command follows:
// - an output never replaces one of the command's inputs (an image, the
//   model it uses, a dataset), whatever the flags;
// - an existing output file, or a non-empty output folder, is refused unless
//   the user gives --force;
// - an output's format comes from its extension, case-insensitively, and an
//   unknown extension is refused.
// The checks run before any work, so a refusal costs nothing and changes nothing.
#pragma once

#include <string>
#include <vector>

namespace heatmark {

// An input of the command, and how the user named it ("--model", "an input image").
struct NamedInput {
  std::string path, what;
};

// True when `a` and `b` are the same file: the same inode when both exist,
// else the same absolute, normalised path.
bool same_file(const std::string& a, const std::string& b);

// True when `inner` is `outer` or lies inside it (paths resolved through
// symbolic links as far as they exist).
bool path_within(const std::string& inner, const std::string& outer);

// The extension of `path` in lower case (".json"), if it is one of `allowed`;
// otherwise throws "{flag} {path}: unknown output format ... (use .json or .csv)".
std::string output_format(const std::string& path, const std::string& flag, const std::vector<std::string>& allowed);

// Refuses an output file that is one of `inputs`, that is a folder, or that
// exists and `force` is off. Throws heatmark::Error naming the flag and path.
void check_output_file(const std::string& path, const std::string& flag, const std::vector<NamedInput>& inputs,
                       bool force);

// Refuses an output folder that exists as a file, or that holds anything
// (other than the names in `ignored`) while `force` is off; or that is, or
// holds, one of `folders` (a dataset it reads), whatever `force` says.
void check_output_folder(const std::string& path, const std::string& flag, bool force,
                         const std::vector<NamedInput>& folders = {}, const std::vector<std::string>& ignored = {});

}  // namespace heatmark
