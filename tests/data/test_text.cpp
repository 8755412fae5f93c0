// Text files at the door (data/text.h): a UTF-8 byte-order mark is dropped,
// UTF-16 and bytes that are not UTF-8 are refused naming the file, line,
// column and byte, and error messages stay on one line.
#include <doctest/doctest.h>

#include <string>

#include "data/text.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;

TEST_CASE("text: a UTF-8 byte-order mark is dropped, UTF-16 is refused naming the file") {
  TempDir dir;
  write_file(dir / "bom.txt", "\xEF\xBB\xBFSella\nNasion\n");
  CHECK(read_text_file(dir / "bom.txt") == "Sella\nNasion\n");
  write_file(dir / "plain.txt", "Sella\n");
  CHECK(read_text_file(dir / "plain.txt") == "Sella\n");
  // Only a mark at the very start is one: elsewhere it is a character (U+FEFF), kept.
  write_file(dir / "inside.txt", "a\xEF\xBB\xBF\n");
  CHECK(read_text_file(dir / "inside.txt") == "a\xEF\xBB\xBF\n");
  write_file(dir / "empty.txt", "");
  CHECK(read_text_file(dir / "empty.txt").empty());

  write_file(dir / "le.csv", std::string("\xFF\xFEi\0m\0", 6));
  CHECK_ERROR(read_text_file(dir / "le.csv"), dir / "le.csv", "is UTF-16 text; save it as UTF-8");
  write_file(dir / "be.csv", std::string("\xFE\xFF\0i\0m", 6));
  CHECK_ERROR(read_text_file(dir / "be.csv"), dir / "be.csv", "is UTF-16 text; save it as UTF-8");
  // Without a mark, UTF-16 shows as NUL bytes.
  write_file(dir / "nomark.csv", std::string("i\0m\0a\0", 6));
  CHECK_ERROR(read_text_file(dir / "nomark.csv"), dir / "nomark.csv", "line 1: a NUL byte at column 2", "UTF-16");
  CHECK_ERROR(read_text_file(dir / "missing.txt"), "cannot open", "missing.txt");
}

TEST_CASE("text: bytes that are not UTF-8 are refused naming the line, column and byte") {
  TempDir dir;
  // Latin-1 "Menton" with an e-acute (0xE9) on line 2, after a two-byte character on line 1.
  write_file(dir / "latin1.txt", "S\xC3\xA9lla\nM\xE9nton\n");
  CHECK_ERROR(read_text_file(dir / "latin1.txt"),
              dir / "latin1.txt" + " line 2: not valid UTF-8 (byte 0xe9 at column 2); save the file as UTF-8");
  // The column counts characters, as an editor shows them: "é" is one.
  write_file(dir / "after.txt", "\xC3\xA9\xC3\xA9x\xFF\n");
  CHECK_ERROR(read_text_file(dir / "after.txt"), "line 1: not valid UTF-8 (byte 0xff at column 4)");

  struct Case {
    std::string bytes;
    size_t at;  // the first bad byte
  };
  const Case invalid[] = {
      {"ab\x80", 2},              // a continuation byte without a lead
      {"\xC0\xAF", 0},            // an overlong '/'
      {"\xC1\xBF", 0},            // overlong
      {"\xE0\x80\xAF", 0},        // an overlong three-byte form
      {"\xF0\x80\x80\xAF", 0},    // an overlong four-byte form
      {"\xED\xA0\x80", 0},        // a UTF-16 surrogate (U+D800)
      {"\xF4\x90\x80\x80", 0},    // past U+10FFFF
      {"\xF5\x80\x80\x80", 0},    // no such lead byte
      {"x\xE2\x82", 1},           // cut short at the end
      {"\xE2\x82x", 0},           // cut short before ASCII
      {"\xC3\xA9\xE9t\xC3\xA9", 2},  // Latin-1 between two good ones
  };
  for (const Case& c : invalid) {
    INFO(printable(c.bytes));
    CHECK(invalid_utf8_at(c.bytes) == c.at);
  }
  const std::string valid[] = {"", "plain", "S\xC3\xA9lla", "\xE2\x82\xAC", "\xED\x9F\xBF", "\xEE\x80\x80",
                               "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "\xEF\xBB\xBF"};
  for (const std::string& text : valid) {
    INFO(printable(text));
    CHECK(invalid_utf8_at(text) == std::string::npos);
  }
}

TEST_CASE("text: names from folder listings must be UTF-8, and messages print bytes escaped") {
  check_utf8_name("images/S\xC3\xA9lla.png");
  CHECK_ERROR(check_utf8_name("images/M\xE9nton.png"), "images/M\\xe9nton.png: the name is not valid UTF-8",
              "byte 0xe9 at column 9", "rename it");

  CHECK(printable("a.png") == "a.png");
  CHECK(printable("S\xC3\xA9lla") == "S\xC3\xA9lla");  // valid UTF-8 as it is
  CHECK(printable("a\nb\r\tc") == "a\\nb\\r\\x09c");
  CHECK(printable("M\xE9n\x7f") == "M\\xe9n\\x7f");
  CHECK(printable(std::string("\0", 1)) == "\\x00");

  CHECK(text_lines("a\nb\r\n\nc") == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(text_lines("a\n") == std::vector<std::string>{"a"});
  CHECK(text_lines("").empty());
}
