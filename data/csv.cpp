#include "data/csv.h"

#include <charconv>
#include <cmath>

#include "base/error.h"
#include "tensor/atomic_file.h"

namespace heatmark {

std::vector<CsvRow> read_csv(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false, field_started = false;
  int line = 1, row_line = 1;
  auto end_field = [&] {
    row.fields.push_back(field);
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    if (field_started || !row.fields.empty()) end_field();
    bool empty = true;
    for (const std::string& f : row.fields)
      if (f.find_first_not_of(" \t") != std::string::npos) empty = false;
    if (!empty) {
      row.line = row_line;
      rows.push_back(std::move(row));
    }
    row = CsvRow{};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        // A line break inside quotes belongs to no file name or number: the
        // quote was left open (reading on would swallow the next lines).
        HM_CHECK(c != '\n' && c != '\r', "{} line {}: unterminated quoted field", path, row_line);
        field += c;
      }
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = field_started = true;
    } else if (c == ',') {
      end_field();  // the next field may be quoted; end_row ends it, empty or not
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      row_line = line;
    } else {
      field += c;
      field_started = true;
    }
  }
  HM_CHECK(!quoted, "{} line {}: unterminated quoted field", path, row_line);
  end_row();
  // Trim spaces around unquoted fields.
  for (CsvRow& r : rows)
    for (std::string& f : r.fields) {
      const size_t a = f.find_first_not_of(" \t"), b = f.find_last_not_of(" \t");
      f = a == std::string::npos ? "" : f.substr(a, b - a + 1);
    }
  return rows;
}

double parse_number(const std::string& text, const std::string& file, int line, const std::string& column) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  HM_CHECK(!text.empty() && ec == std::errc() && ptr == end, "{} line {}: column '{}' is '{}', not a number", file, line,
           column, text);
  HM_CHECK(std::isfinite(value), "{} line {}: column '{}' is {}, not a finite number", file, line, column, text);
  return value;
}

}  // namespace heatmark
