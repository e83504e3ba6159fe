#pragma once
// Text from outside made fit for one line of a log or an error message: control characters, and bytes that
// are not valid UTF-8, escaped (\\n, \\xNN), and the text cut. Pure text handling, usable from every folder.
#include <cstddef>
#include <string>
#include <string_view>

namespace hemd {

// Appends `s` escaped to `out` until `max` bytes of `s` are used; returns how many bytes were taken. With
// `escape_quotes`, double quotes and backslashes are escaped too (for text shown inside double quotes).
std::size_t append_escaped(std::string& out, std::string_view s, std::size_t max, bool escape_quotes);

// `s` escaped, cut after `max` bytes with the number of bytes left out ("…(+N bytes)"), between `open` and
// `close` quote characters.
std::string quoted_text(std::string_view s, std::size_t max, char open = '"', char close = '"');

}  // namespace hemd
