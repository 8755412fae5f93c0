// CSV (data/csv.h), RFC 4180 both ways: what csv_row writes, read_csv reads
// back field for field, commas, quotes, line breaks and edge spaces included.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "data/csv.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

using namespace heatmark;
using heatmark::testing::TempDir;
using heatmark::testing::write_file;

TEST_CASE("csv: a field is quoted only when the reader needs it, quotes doubled") {
  CHECK(csv_field("images/a.png") == "images/a.png");
  CHECK(csv_field("") == "");
  CHECK(csv_field("1.500") == "1.500");
  CHECK(csv_field("a,b.png") == "\"a,b.png\"");
  CHECK(csv_field("say \"cheese\".png") == "\"say \"\"cheese\"\".png\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\r") == "\"cr\r\"");
  CHECK(csv_field(" lead") == "\" lead\"");
  CHECK(csv_field("trail ") == "\"trail \"");
  CHECK(csv_field("\ttab") == "\"\ttab\"");
  CHECK(csv_field("in side") == "in side");  // inner spaces are kept unquoted
  CHECK(csv_row({"image", "x1", "y1"}) == "image,x1,y1\n");
  CHECK(csv_row({"a,b", "", "\""}) == "\"a,b\",,\"\"\"\"\n");
}

TEST_CASE("csv: rows written with commas, quotes, spaces and line breaks read back equal") {
  const std::vector<std::vector<std::string>> rows = {
      {"image", "x1", "y1"},
      {"plain.png", "1.5", "2"},
      {"comma,name.png", "3", "4"},
      {"\"quoted\".png", "5", "6"},
      {"say \"\"hi\"\"", "", "7"},
      {" leading space.png", "trailing space ", "\t tabs \t"},
      {"two\nlines.png", "carriage\rreturn", "crlf\r\nend"},
      {",", "\"", "\"\""},
      {"S\xC3\xA9lla", "caf\xC3\xA9", "\xE2\x82\xAC"},
      {"", "empty first", ""},
  };
  std::string text;
  for (const std::vector<std::string>& row : rows) text += csv_row(row);
  TempDir dir;
  write_file(dir / "out.csv", text);
  const std::vector<CsvRow> read = read_csv(dir / "out.csv");
  REQUIRE(read.size() == rows.size());
  int line = 1;
  for (size_t r = 0; r < rows.size(); ++r) {
    INFO("row ", r);
    CHECK(read[r].fields == rows[r]);
    CHECK(read[r].line == line);  // the line where the row starts
    for (const std::string& f : rows[r])
      for (size_t i = 0; i < f.size(); ++i) line += f[i] == '\n' || (f[i] == '\r' && (i + 1 == f.size() || f[i + 1] != '\n'));
    ++line;
  }
}

TEST_CASE("csv: the reader takes RFC 4180 and what people write, and refuses what has no meaning") {
  TempDir dir;
  auto read = [&](const std::string& text) {
    write_file(dir / "in.csv", text);
    return read_csv(dir / "in.csv");
  };
  // Spaces around unquoted fields go, quoted ones stay; spaces around the quotes go.
  std::vector<CsvRow> rows = read(" a.png , 1 ,\t2\n  \" b.png \" , \"3\"\n");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].fields == std::vector<std::string>{"a.png", "1", "2"});
  CHECK(rows[1].fields == std::vector<std::string>{" b.png ", "3"});
  // A quoted line break is part of the field; the next row's line counts it.
  rows = read("image,x1\r\n\"two\r\nlines\",1\r\nb.png,2\r\n");
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].fields[0] == "two\r\nlines");
  CHECK(rows[1].line == 2);
  CHECK(rows[2].line == 4);
  // Blank lines and lines of bare commas are no rows; the file's last line needs no line break.
  rows = read("a,b\n\n , \n,,\nc,d");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].line == 5);
  // A byte-order mark is no part of the first field.
  rows = read("\xEF\xBB\xBFimage,x1\n");
  CHECK(rows[0].fields[0] == "image");

  CHECK_ERROR(read("image,x1\na.png,1\n\"b.png,2\nc.png,3\n"), "in.csv line 3: unterminated quoted field");
  CHECK_ERROR(read("image,x1\n\"a\"b.png,1\n"), "in.csv line 2: 'b' after the closing quote of a field");
  CHECK_ERROR(read("image,x1\n\"a\" \"b\",1\n"), "in.csv line 2: '\"' after the closing quote");
  CHECK_ERROR(read("image,x1\nM\xE9nton.png,1\n"), "in.csv line 2: not valid UTF-8 (byte 0xe9 at column 2)");
  CHECK_ERROR(read(std::string("\xFF\xFEi\0", 4)), "in.csv is UTF-16 text; save it as UTF-8");
}

TEST_CASE("csv: numbers parse with spaces around them and are refused naming the column otherwise") {
  CHECK(parse_number(" 1.5 ", "f.csv", 2, "x1") == 1.5);
  CHECK(parse_number("-3e2", "f.csv", 2, "x1") == -300);
  CHECK_ERROR(parse_number("1\n2", "f.csv", 2, "x1"), "f.csv line 2: column 'x1' is '1\\n2', not a number");
  CHECK_ERROR(parse_number("", "f.csv", 2, "x1"), "column 'x1' is '', not a number");
  CHECK_ERROR(parse_number("inf", "f.csv", 3, "y1"), "f.csv line 3: column 'y1' is inf, not a finite number");
}
