#include "data/csv.h"

#include <charconv>
#include <cmath>

#include "base/error.h"
#include "data/text.h"

namespace heatmark {

namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

}  // namespace

std::vector<CsvRow> read_csv(const std::string& path) {
  const std::string text = read_text_file(path);
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  // Where the field being read is: not quoted (so far), inside its quotes, or after its closing quote.
  enum class In { Unquoted, Quotes, AfterQuotes } in = In::Unquoted;
  int line = 1, row_line = 1;
  auto end_field = [&] {
    row.fields.push_back(in == In::Unquoted ? trim(field) : field);
    field.clear();
    in = In::Unquoted;
  };
  auto end_row = [&] {
    end_field();
    bool empty = true;  // a blank line, or one of bare commas
    for (const std::string& f : row.fields) empty = empty && f.empty();
    if (!empty) {
      row.line = row_line;
      rows.push_back(std::move(row));
    }
    row = CsvRow{};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool crlf = c == '\r' && i + 1 < text.size() && text[i + 1] == '\n';
    if (in == In::Quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in = In::AfterQuotes;
      } else {
        // RFC 4180 lets a quoted field hold line breaks: they are part of it.
        // (Where a line break makes no sense, in a number or a file name, the
        // format reader refuses the field; an unclosed quote is still caught
        // at the end of the file, naming the line where the row started.)
        if (c == '\n' || (c == '\r' && !crlf)) ++line;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (crlf) ++i;
      end_row();
      row_line = ++line;
    } else if (in == In::AfterQuotes) {
      // "a"b has no meaning (is the quote the field's?): refused, not guessed.
      HM_CHECK(c == ' ' || c == '\t',
               "{} line {}: '{}' after the closing quote of a field (write a quote inside quotes as \"\")", path, line,
               printable(std::string_view(&c, 1)));
    } else if (c == '"' && trim(field).empty()) {
      in = In::Quotes;  // spaces before the opening quote are no part of the field
      field.clear();
    } else {
      field += c;
    }
  }
  HM_CHECK(in != In::Quotes, "{} line {}: unterminated quoted field", path, row_line);
  end_row();
  return rows;
}

std::string csv_field(std::string_view text) {
  const bool quote = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.back() == ' ' ||
                                        text.back() == '\t'));
  if (!quote) return std::string(text);
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string row;
  for (size_t i = 0; i < fields.size(); ++i) row += (i ? "," : "") + csv_field(fields[i]);
  return row + "\n";
}

double parse_number(const std::string& text, const std::string& file, int line, const std::string& column) {
  const std::string number = trim(text);  // a quoted " 1.5 " is still a number
  double value = 0;
  const char* begin = number.data();
  const char* end = number.data() + number.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  HM_CHECK(!number.empty() && ec == std::errc() && ptr == end, "{} line {}: column '{}' is '{}', not a number", file,
           line, printable(column), printable(text));
  HM_CHECK(std::isfinite(value), "{} line {}: column '{}' is {}, not a finite number", file, line, printable(column),
           printable(text));
  return value;
}

}  // namespace heatmark
