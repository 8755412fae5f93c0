// Malformed inputs through the real command line: every row of
// tests/bad_inputs/manifest.tsv runs the heatmark binary on one broken file
// (made by tests/bad_inputs/make_fixtures.py) and must end, within a time
// limit, with status 1 and one line "heatmark: error: ..." that names the
// file and what is wrong with it: never a crash, a hang or a runaway
// allocation, and nothing written: the fixtures keep their bytes and the
// case's output folder stays empty.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/support/child_process.h"
#include "data/dataset.h"
#include "data/image.h"
#include "tensor/safetensors.h"
#include "tests/support/temp_dir.h"

using heatmark::testing::Child;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kFixtures = std::string(HEATMARK_SOURCE_DIR) + "/tests/bad_inputs";
constexpr double kTimeLimitSeconds = 30;  // each case takes well under a second; a hang is caught here
constexpr long kMemoryLimitKiB = 1 << 20;  // 1 GiB: each case needs a small fraction of it
constexpr size_t kMinimumCases = 30;
// The case name's prefix, up to the '/': one test case per input format.
const std::set<std::string> kGroups = {"image",   "safetensors", "csv",   "isbi",  "aariz",
                                       "labelme", "config",      "flags", "output"};

struct Case {
  std::string name;
  std::vector<std::string> args;  // with {dir} and {out} still in them
  int status = 0;
  std::string expected;  // with {dir} and {out} still in it
  int line = 0;          // in the manifest
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);)
    if (separator != ' ' || !part.empty()) parts.push_back(part);
  return parts;
}

// The manifest: "case<TAB>args<TAB>exit<TAB>expected", '#' comments, and a header row.
std::vector<Case> manifest() {
  std::ifstream in(kFixtures + "/manifest.tsv");
  REQUIRE_MESSAGE(in, "cannot open ", kFixtures, "/manifest.tsv");
  std::vector<Case> cases;
  int number = 0;
  bool header = true;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> fields = split(line, '\t');
    INFO("manifest.tsv line ", number, ": ", line);
    REQUIRE(fields.size() == 4);
    if (header) {
      REQUIRE(fields[0] == "case");
      header = false;
      continue;
    }
    Case c{fields[0], split(fields[1], ' '), std::stoi(fields[2]), fields[3], number};
    REQUIRE(!c.args.empty());
    REQUIRE(!c.expected.empty());
    cases.push_back(c);
  }
  return cases;
}

std::string group_of(const Case& c) { return c.name.substr(0, c.name.find('/')); }

// Every file and folder under `folder`, with a hash of each file's bytes: the fixtures must not change.
std::map<std::string, uint64_t> files_of(const std::string& folder) {
  std::map<std::string, uint64_t> files;
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    uint64_t hash = 1469598103934665603ull;  // FNV-1a
    if (e.is_regular_file()) {
      std::ifstream in(e.path(), std::ios::binary);
      for (char c; in.get(c);) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    files[e.path().string()] = hash;
  }
  return files;
}

// Temporary files (".name.tmp-XXXXXX" of an atomic write) anywhere under `folder`.
std::vector<std::string> temporary_files(const std::string& folder) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) found.push_back(e.path().string());
  return found;
}

// The largest peak resident memory of any child process waited for so far, in KiB.
long children_peak_kib() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}


void run_case(const Case& c) {
  TempDir out;
  std::vector<std::string> args;
  for (const std::string& a : c.args) args.push_back(replace_all(replace_all(a, "{dir}", kFixtures), "{out}", out.path.string()));
  const std::string expected = replace_all(replace_all(c.expected, "{dir}", kFixtures), "{out}", out.path.string());
  std::string command = "heatmark";
  for (const std::string& a : args) command += " " + a;
  INFO("case ", c.name, " (manifest.tsv line ", c.line, "): ", command);

  const long peak_before = children_peak_kib();
  const auto start = std::chrono::steady_clock::now();
  Child child(args);
  // Reads all output until the child closes it (the marker never appears), or the time runs out.
  child.wait_for_output(std::string(1, '\0') + "never printed", kTimeLimitSeconds);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool hung = seconds >= kTimeLimitSeconds;
  if (hung) child.signal(SIGKILL);
  const int status = child.wait();
  const std::string& output = child.output();
  INFO("status ", status, " after ", seconds, " s; output:\n", output);

  CHECK_MESSAGE(!hung, "still running after ", kTimeLimitSeconds, " s");
  CHECK_MESSAGE(status < 128, "killed by signal ", status - 128);
  CHECK(status == c.status);
  // When the children's peak grew, this child set it.
  const long peak = children_peak_kib();
  if (peak > peak_before) CHECK_MESSAGE(peak < kMemoryLimitKiB, "peak memory ", peak / 1024, " MiB");
  CHECK(temporary_files(out.path.string()).empty());
  CHECK_MESSAGE(fs::is_empty(out.path), "a refused command left files in its output folder");
  // The last line is the error, and the only one.
  CHECK(!output.empty());
  if (output.empty()) return;
  CHECK(output.back() == '\n');
  const std::string body = output.substr(0, output.size() - 1);
  const std::string last_line = body.substr(body.rfind('\n') + 1);
  CHECK(last_line.starts_with("heatmark: error: "));
  CHECK(last_line.find(expected) != std::string::npos);
  int errors = 0;
  for (const std::string& line : split(body, '\n')) errors += line.starts_with("heatmark: ");
  CHECK_MESSAGE(errors == 1, "the output has ", errors, " lines starting with 'heatmark: '");
}

void run_group(const std::string& group) {
  const std::map<std::string, uint64_t> fixtures_before = files_of(kFixtures);
  int n = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const Case& c : manifest())
    if (group_of(c) == group) {
      run_case(c);
      ++n;
    }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE(group, ": ", n, " cases in ", seconds, " s, peak memory of any child so far ", children_peak_kib() / 1024,
          " MiB");
  CHECK(n >= 3);
  CHECK(files_of(kFixtures) == fixtures_before);  // nothing written next to the inputs
}

}  // namespace

TEST_CASE("bad inputs: the manifest has at least 30 distinct cases over all input formats") {
  const std::vector<Case> cases = manifest();
  CHECK(cases.size() >= kMinimumCases);
  std::set<std::string> names, groups;
  std::set<std::vector<std::string>> commands;
  for (const Case& c : cases) {
    INFO("case ", c.name, " (manifest.tsv line ", c.line, ")");
    CHECK(names.insert(c.name).second);  // distinct
    CHECK(commands.insert(c.args).second);
    CHECK(kGroups.count(group_of(c)));   // run by one of the test cases below
    CHECK(c.status == 1);
    groups.insert(group_of(c));
  }
  CHECK(groups == kGroups);
}

TEST_CASE("bad inputs: broken images (PNG, JPEG, BMP) in a dataset") { run_group("image"); }
TEST_CASE("bad inputs: broken safetensors model files") { run_group("safetensors"); }
TEST_CASE("bad inputs: broken landmarks.csv folder datasets") { run_group("csv"); }
TEST_CASE("bad inputs: broken ISBI txt annotations") { run_group("isbi"); }
TEST_CASE("bad inputs: broken Aariz JSON annotations") { run_group("aariz"); }
TEST_CASE("bad inputs: broken labelme JSON annotations") { run_group("labelme"); }
TEST_CASE("bad inputs: broken training config files") { run_group("config"); }
TEST_CASE("bad inputs: bad flag values on the command line") { run_group("flags"); }
TEST_CASE("bad inputs: outputs that would replace inputs, existing files or a dataset") { run_group("output"); }

// What is valid must still load: the dataset around the config cases, with
// quoted CSV fields; one saved by a Windows editor (byte-order marks, CRLF, a
// spacing.csv without its header); and a BMP stored top-down (negative
// height, which stb_image reports as stored).
TEST_CASE("bad inputs: the valid fixtures next to them load") {
  const heatmark::Dataset d = heatmark::load_dataset(kFixtures + "/valid");
  REQUIRE(d.samples.size() == 1);
  CHECK(d.samples[0].landmarks[0].x == 1.5);
  CHECK(d.samples[0].landmarks[0].y == 2);
  const heatmark::Dataset bom = heatmark::load_dataset(kFixtures + "/valid/bom");
  REQUIRE(bom.samples.size() == 1);
  CHECK(bom.landmark_names == std::vector<std::string>{"S\xC3\xA9lla", "Nasion"});
  CHECK(bom.samples[0].landmarks[0].x == 1.5);
  CHECK(bom.samples[0].landmarks[1].y == 4);
  CHECK(bom.samples[0].mm_per_px_x == 0.1);  // the first row of spacing.csv is data
  CHECK(bom.samples[0].mm_per_px_y == 0.2);
  CHECK(bom.warnings.empty());
  const heatmark::Image image = heatmark::load_image(kFixtures + "/valid/top_down.bmp");
  CHECK(image.width == 8);
  CHECK(image.height == 8);
  CHECK(image.channels == 3);
  // A header checksum as tools outside heatmark compute it (make_fixtures.py) verifies.
  const heatmark::SafetensorsFile checked = heatmark::SafetensorsFile::read(kFixtures + "/valid/header_checked.safetensors");
  CHECK(checked.metadata().count(heatmark::kHeaderChecksumKey) == 1);
}
