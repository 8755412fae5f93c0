// Helpers for the fuzz targets whose parsers read files from a folder.
//
// One fuzz input can stand for several files: it is split at each line "%%"
// (the bytes "\n%%\n"), and each target says which file each section becomes.
// The files live in a scratch folder made once per process under $TMPDIR (or
// /tmp) and removed at exit (run_fuzz.sh points TMPDIR into its scratch folder,
// so a crashed process leaves nothing elsewhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>  // mkdtemp
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace heatmark::fuzz {

namespace fs = std::filesystem;

// The input split at "\n%%\n", at most `max_sections` parts (the last keeps the rest).
inline std::vector<std::string_view> split_sections(const uint8_t* data, size_t size, size_t max_sections) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> sections;
  constexpr std::string_view kSeparator = "\n%%\n";
  while (sections.size() + 1 < max_sections) {
    const size_t at = rest.find(kSeparator);
    if (at == std::string_view::npos) break;
    sections.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kSeparator.size());
  }
  sections.push_back(rest);
  return sections;
}

// This process's scratch folder.
inline const fs::path& scratch_dir() {
  struct Dir {
    fs::path path;
    Dir() {
      const char* tmp = std::getenv("TMPDIR");
      std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/heatmark-fuzz.XXXXXX";
      if (!mkdtemp(tmpl.data())) throw std::runtime_error("fuzz: cannot create a scratch folder in " + tmpl);
      path = tmpl;
    }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// An empty folder `name` in the scratch folder (its old contents removed).
inline fs::path fresh_dir(const std::string& name) {
  const fs::path dir = scratch_dir() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("fuzz: cannot write " + path.string());
}

// Section i of `sections` written to `path`, or `path` removed when there is
// no such section (or it is empty and `empty_means_none`): the folders are
// reused from input to input, so files of the last input must not linger.
inline void write_section(const fs::path& path, const std::vector<std::string_view>& sections, size_t i,
                          bool empty_means_none = false) {
  if (i < sections.size() && !(empty_means_none && sections[i].empty())) {
    write_file(path, sections[i]);
  } else {
    fs::remove(path);
  }
}

}  // namespace heatmark::fuzz
