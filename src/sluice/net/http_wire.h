#pragma once
/// Hand-written HTTP/1.1 message heads for the hot path. Beast's generic
/// serializer walks a chain of buffer views per write, which showed up at
/// ~5% of gateway CPU under load; a head built into one string and written
/// together with the body (scatter/gather) costs a few appends.
#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "sluice/net/asio.h"

namespace sluice::net {

struct HeadField {
  std::string_view name;
  std::string_view value;
};

/// "HTTP/1.1 <status> <reason>\r\n" + fields + Content-Length or
/// Transfer-Encoding: chunked + Connection + "\r\n".
/// `content_length` < 0 means chunked.
/// `raw_fields`: more header lines, already formatted ("Name: value\r\n" each).
void append_response_head(std::string& out, unsigned status, std::string_view content_type, long long content_length,
                          bool keep_alive, std::initializer_list<HeadField> fields, std::string_view raw_fields = {});

/// "POST <target> HTTP/1.1\r\n" + Host + fields + Content-Length + "\r\n".
void append_request_head(std::string& out, std::string_view method, std::string_view target, std::string_view host,
                         long long content_length, std::initializer_list<HeadField> fields);

/// The framing of one chunk of a chunked body: size line before, CRLF after.
class ChunkFrame {
 public:
  explicit ChunkFrame(std::size_t size) {
    const int n = std::snprintf(prefix_.data(), prefix_.size(), "%zx\r\n", size);
    prefix_len_ = static_cast<std::size_t>(n);
  }
  /// Buffers for prefix, data and suffix, to write in one call.
  std::array<asio::const_buffer, 3> buffers(std::string_view data) const {
    return {asio::const_buffer(prefix_.data(), prefix_len_), asio::const_buffer(data.data(), data.size()),
            asio::const_buffer("\r\n", 2)};
  }

 private:
  std::array<char, 24> prefix_{};
  std::size_t prefix_len_ = 0;
};

/// The last chunk of a chunked body.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace sluice::net
