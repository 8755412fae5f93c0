#include "data/text.h"

#include <algorithm>

#include "base/error.h"
#include "tensor/atomic_file.h"

namespace heatmark {

namespace {

// The length of the UTF-8 sequence that starts at byte `i` of `s` (1 to 4),
// or 0 when the bytes there are not one.
size_t utf8_length_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  // The lead byte sets the number of continuation bytes, and the range of the
  // first one: that range is what rules out overlong forms (E0, F0), UTF-16
  // surrogates (ED) and code points past U+10FFFF (F4).
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
  } else if (c == 0xE0) {
    n = 2, lo = 0xA0;
  } else if (c == 0xED) {
    n = 2, hi = 0x9F;
  } else if (c >= 0xE1 && c <= 0xEF) {
    n = 2;
  } else if (c == 0xF0) {
    n = 3, lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 3;
  } else if (c == 0xF4) {
    n = 3, hi = 0x8F;
  } else {
    return 0;  // a continuation byte without a lead, C0/C1 (always overlong), or F5-FF
  }
  for (size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
  }
  return n + 1;
}

// The 1-based line of byte `at` in `text`, and its 1-based column counted in
// characters (the bytes before it on its line are valid UTF-8), as an editor
// shows them.
std::pair<size_t, size_t> line_and_column(std::string_view text, size_t at) {
  const std::string_view before = text.substr(0, at);
  const size_t line = 1 + static_cast<size_t>(std::count(before.begin(), before.end(), '\n'));
  const size_t start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  size_t column = 1;
  for (size_t i = start; i < at; ++i) column += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return {line, column};
}

}  // namespace

size_t invalid_utf8_at(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_length_at(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string read_text_file(const std::string& path) {
  std::string text = read_file(path);
  const std::string_view view(text);
  if (view.starts_with("\xEF\xBB\xBF")) {
    text.erase(0, 3);  // invisible in an editor, and no part of the first field or line
  } else if (view.starts_with("\xFF\xFE") || view.starts_with("\xFE\xFF")) {
    fail("{} is UTF-16 text; save it as UTF-8", path);
  }
  // UTF-16 without a byte-order mark holds a NUL in every ASCII character;
  // NUL is valid UTF-8 but belongs in no text file.
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    const auto [line, column] = line_and_column(text, nul);
    fail("{} line {}: a NUL byte at column {} (UTF-16 text, or not text at all); save the file as UTF-8", path,
         line, column);
  }
  if (const size_t at = invalid_utf8_at(text); at != std::string::npos) {
    const auto [line, column] = line_and_column(text, at);
    fail("{} line {}: not valid UTF-8 (byte 0x{:02x} at column {}); save the file as UTF-8", path, line,
         static_cast<unsigned char>(text[at]), column);
  }
  return text;
}

void check_utf8_name(const std::filesystem::path& path) {
  const std::string name = path.string();
  const size_t at = invalid_utf8_at(name);
  if (at == std::string::npos) return;
  fail("{}: the name is not valid UTF-8 (byte 0x{:02x} at column {}); rename it", printable(name),
       static_cast<unsigned char>(name[at]), line_and_column(name, at).second);
}

std::string printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t n = utf8_length_at(text, i);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F || n == 0) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  return out;
}

std::vector<std::string> text_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

}  // namespace heatmark
