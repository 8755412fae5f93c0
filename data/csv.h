// CSV as RFC 4180 has it, for annotation files and the tables heatmark
// writes: comma-separated fields, optional double quotes (with "" for a
// quote, and commas and line breaks allowed inside), a header line, '\r\n' or
// '\n' endings. The writer quotes exactly what the reader needs quoted, so
// whatever heatmark writes reads back as it was.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace heatmark {

struct CsvRow {
  int line = 0;  // 1-based line number in the file where the row starts
  std::vector<std::string> fields;
};

// All non-empty rows of `path` (header included), read as read_text_file
// does (a UTF-8 byte-order mark dropped, anything but UTF-8 refused).
// Spaces and tabs around an unquoted field are dropped (people write
// "a.png, 1, 2"); a quoted field is kept as it is between its quotes. Throws
// heatmark::Error naming the file and line for an unterminated quote or text
// after a closing quote.
std::vector<CsvRow> read_csv(const std::string& path);

// One field as CSV: in double quotes (each quote doubled) when it holds a
// comma, a quote, a line break (CR or LF), or starts or ends with a space or
// tab, which the reader would otherwise split or trim; else as it is.
std::string csv_field(std::string_view text);

// One row: the fields, each through csv_field, joined by commas, ending "\n".
std::string csv_row(const std::vector<std::string>& fields);

// Parses a finite number from `text` (spaces around it allowed); throws
// naming the file, line, column and the text otherwise
// ("landmarks.csv line 4: column 'x2' is 'abc', not a number").
double parse_number(const std::string& text, const std::string& file, int line, const std::string& column);

}  // namespace heatmark
