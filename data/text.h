// Text that comes from people's files, checked at the door: every annotation
// file the dataset readers open goes through read_text_file, and every name
// they take from a folder listing through check_utf8_name. What gets past
// them is UTF-8, so that nothing fails later, far from the file, when a name
// is written into a JSON result or a model file (nlohmann's dump throws on
// invalid UTF-8, after an epoch of training).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace heatmark {

// The contents of the text file `path`, without the UTF-8 byte-order mark
// that some Windows editors put first. Throws heatmark::Error naming the file
// for UTF-16 (a UTF-16 byte-order mark, or NUL bytes), and naming the file,
// line, column and byte for anything else that is not UTF-8:
//   "a/landmarks.txt line 2: not valid UTF-8 (byte 0xe9 at column 5); save the file as UTF-8"
std::string read_text_file(const std::string& path);

// Where `text` stops being valid UTF-8 (shortest forms, no surrogates, at
// most U+10FFFF): the offset of the first byte that is not part of a valid
// sequence, or std::string::npos when it is all valid.
size_t invalid_utf8_at(std::string_view text);

// Throws unless the name of `path`, found by listing a folder, is valid UTF-8
// ("...: the name is not valid UTF-8 (byte 0xe9 at column 12); rename it").
void check_utf8_name(const std::filesystem::path& path);

// `text` made safe for a one-line error message: line breaks as \n and \r,
// other control characters and bytes that are not UTF-8 as \xNN.
std::string printable(std::string_view text);

// The lines of `text`, split at '\n', each without a '\r' that ended it.
std::vector<std::string> text_lines(const std::string& text);

}  // namespace heatmark
