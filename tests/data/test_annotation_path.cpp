// Paths named by annotation files stay inside the dataset folder
// (data/annotation_path.h): "..", absolute paths and symbolic links that lead
// out are refused naming the annotation, unless the caller allows them.
#include <doctest/doctest.h>

#include <filesystem>

#include "data/annotation_path.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;
namespace fs = std::filesystem;

TEST_CASE("annotation path: names inside the folder resolve against it, .. and absolute ones that leave are refused") {
  TempDir dir;
  const std::string data = dir / "data";
  write_file(dir / "data/images/a.png", "image");
  write_file(dir / "outside.png", "image");
  const std::string where = "landmarks.csv line 3";

  CHECK(annotated_path(data, "images/a.png", where, false) == data + "/images/a.png");
  CHECK(annotated_path(data, "./images/../images/a.png", where, false) == data + "/./images/../images/a.png");
  CHECK(annotated_path(data, "not/there.png", where, false) == data + "/not/there.png");  // missing: the reader says so
  CHECK(annotated_path(data + "/", "images/a.png", where, false) == data + "/images/a.png");

  const char* const kOutsideFlag = "(give --allow-outside-paths to allow it)";
  CHECK_ERROR(annotated_path(data, "../outside.png", where, false),
              "landmarks.csv line 3: image '../outside.png' is outside the dataset folder", kOutsideFlag);
  CHECK_ERROR(annotated_path(data, "../../../../../../../../etc/passwd", where, false), "'../../../../../../../../etc/passwd' is outside");
  CHECK_ERROR(annotated_path(data, "/etc/passwd", where, false), "image '/etc/passwd' is outside the dataset folder");
  CHECK_ERROR(annotated_path(data, "images/../../outside.png", where, false), "is outside the dataset folder");
  // A sibling whose name starts like the folder's is not inside it.
  write_file(dir / "data2/b.png", "image");
  CHECK_ERROR(annotated_path(data, "../data2/b.png", where, false), "is outside the dataset folder");

  // Allowed: the path as named, unchecked.
  CHECK(annotated_path(data, "../outside.png", where, true) == data + "/../outside.png");
  CHECK(annotated_path(data, "/etc/passwd", where, true) == "/etc/passwd");
}

TEST_CASE("annotation path: a symbolic link that leads out is refused, a linked dataset folder is not") {
  TempDir dir;
  write_file(dir / "elsewhere/secret.png", "image");
  write_file(dir / "real/images/a.png", "image");
  fs::create_directory_symlink(dir.path / "elsewhere", dir.path / "real/linked");
  fs::create_symlink(dir.path / "elsewhere/secret.png", dir.path / "real/file.png");
  const std::string where = "a.json";
  CHECK_ERROR(annotated_path(dir / "real", "linked/secret.png", where, false),
              "a.json: image 'linked/secret.png' leads outside the dataset folder through a symbolic link, to",
              "elsewhere/secret.png", "--allow-outside-paths");
  CHECK_ERROR(annotated_path(dir / "real", "file.png", where, false), "leads outside the dataset folder");
  CHECK(annotated_path(dir / "real", "linked/secret.png", where, true) == dir / "real/linked/secret.png");

  // The dataset folder itself may be a link (to a shared disk): what is inside it is inside.
  fs::create_directory_symlink(dir.path / "real", dir.path / "data");
  CHECK(annotated_path(dir / "data", "images/a.png", where, false) == dir / "data/images/a.png");
  CHECK_ERROR(annotated_path(dir / "data", "../elsewhere/secret.png", where, false), "is outside the dataset folder");
  // A relative folder works as well as an absolute one.
  struct InFolder {  // back to the old working folder, whatever happens
    fs::path old = fs::current_path();
    explicit InFolder(const fs::path& p) { fs::current_path(p); }
    ~InFolder() { fs::current_path(old); }
  } in(dir.path);
  CHECK(annotated_path("data", "images/a.png", where, false) == "data/images/a.png");
  CHECK_ERROR(annotated_path("data", "../real/images/a.png", where, false), "is outside the dataset folder");
}
