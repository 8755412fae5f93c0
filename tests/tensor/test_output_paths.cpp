// Where commands may write: never over an input, not over an existing file
// or into a non-empty folder without --force, formats by extension.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "tensor/output_paths.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

namespace {
void touch(const std::string& path) { std::ofstream(path) << "x"; }
}  // namespace

TEST_CASE("output paths: the format comes from the extension in any case, and an unknown one is refused") {
  CHECK(output_format("a/p.CSV", "--out", {".json", ".csv"}) == ".csv");
  CHECK(output_format("p.Json", "--out", {".json", ".csv"}) == ".json");
  CHECK_THROWS_WITH_AS(output_format("victim.png", "--out", {".json", ".csv"}),
                       "--out victim.png: unknown output format '.png' (use .json or .csv)", Error);
  CHECK_THROWS_WITH_AS(output_format("noext", "--json", {".json"}),
                       "--json noext: unknown output format '(no extension)' (use .json)", Error);
}

TEST_CASE("output paths: an output that is an input is refused whatever --force says, by inode and by path") {
  TempDir dir;
  touch(dir / "model.json");
  fs::create_hard_link(dir / "model.json", dir / "alias.json");
  const std::vector<NamedInput> inputs{{dir / "model.json", "the model (--model)"}};
  CHECK_THROWS_WITH_AS(check_output_file(dir / "alias.json", "--out", inputs, true),
                       doctest::Contains("would replace the model (--model)"), Error);
  CHECK_THROWS_WITH_AS(check_output_file(dir / "sub/../model.json", "--out", inputs, true),
                       doctest::Contains("would replace the model"), Error);
  // Not yet existing inputs compare by path.
  CHECK_THROWS_WITH_AS(check_output_file(dir / "new.json", "--out", {{dir / "./new.json", "the input image"}}, true),
                       doctest::Contains("would replace the input image"), Error);
  CHECK_NOTHROW(check_output_file(dir / "other.json", "--out", inputs, false));
}

TEST_CASE("output paths: an existing file or a non-empty folder needs --force, a folder is not a file") {
  TempDir dir;
  touch(dir / "p.json");
  CHECK_THROWS_WITH_AS(check_output_file(dir / "p.json", "--out", {}, false), doctest::Contains("already exists"), Error);
  CHECK_NOTHROW(check_output_file(dir / "p.json", "--out", {}, true));
  fs::create_directory(dir / "f");
  CHECK_THROWS_WITH_AS(check_output_file(dir / "f", "--out", {}, true), doctest::Contains("is a folder"), Error);
  CHECK_NOTHROW(check_output_folder(dir / "f", "--overlay", false));
  CHECK_NOTHROW(check_output_folder(dir / "missing", "--overlay", false));
  touch(dir / "f/train.lock");
  CHECK_NOTHROW(check_output_folder(dir / "f", "--out", false, {}, {"train.lock"}));
  touch(dir / "f/a.png");
  CHECK_THROWS_WITH_AS(check_output_folder(dir / "f", "--overlay", false), doctest::Contains("is not empty (2 entries)"), Error);
  CHECK_NOTHROW(check_output_folder(dir / "f", "--overlay", true));
  CHECK_THROWS_WITH_AS(check_output_folder(dir / "p.json", "--overlay", true), doctest::Contains("is a file"), Error);
}

TEST_CASE("output paths: a folder that is or holds a dataset is refused even with --force") {
  TempDir dir;
  fs::create_directories(dir / "runs/data");
  const std::vector<NamedInput> data{{dir / "runs/data", "the dataset (--data)"}};
  CHECK_THROWS_WITH_AS(check_output_folder(dir / "runs", "--out", true, data), doctest::Contains("is or holds the dataset"),
                       Error);
  CHECK_THROWS_WITH_AS(check_output_folder(dir / "runs/data/", "--out", true, data), doctest::Contains("is or holds"), Error);
  CHECK_NOTHROW(check_output_folder(dir / "runs/data-run", "--out", true, data));  // a sibling, not a parent
  CHECK(path_within(dir / "runs/data/x", dir / "runs"));
  CHECK_FALSE(path_within(dir / "runs2", dir / "runs"));
}
