// A small CSV reader for annotation files: comma-separated fields, optional
// double quotes (with "" for a quote), a header line, '\r\n' or '\n' endings.
#pragma once

#include <string>
#include <vector>

namespace heatmark {

struct CsvRow {
  int line = 0;  // 1-based line number in the file
  std::vector<std::string> fields;
};

// All non-empty lines of `path` (header included). Throws heatmark::Error
// naming the file and line for an unterminated quote.
std::vector<CsvRow> read_csv(const std::string& path);

// Parses a finite number from `text`; throws naming the file, line, column
// and the text otherwise ("landmarks.csv line 4: column 'x2' is 'abc', not a number").
double parse_number(const std::string& text, const std::string& file, int line, const std::string& column);

}  // namespace heatmark
