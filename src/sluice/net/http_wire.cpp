#include "sluice/net/http_wire.h"

#include <charconv>

namespace sluice::net {
namespace {

void append_number(std::string& out, long long value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void append_fields(std::string& out, std::initializer_list<HeadField> fields) {
  for (const auto& f : fields) {
    if (f.value.empty()) continue;
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
}

}  // namespace

void append_response_head(std::string& out, unsigned status, std::string_view content_type, long long content_length,
                          bool keep_alive, std::initializer_list<HeadField> fields, std::string_view raw_fields) {
  out.append("HTTP/1.1 ");
  append_number(out, status);
  out.push_back(' ');
  out.append(http::obsolete_reason(static_cast<http::status>(status)));
  out.append("\r\nServer: sluice\r\n");
  if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
  append_fields(out, fields);
  out.append(raw_fields);
  if (content_length < 0) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else {
    out.append("Content-Length: ");
    append_number(out, content_length);
    out.append("\r\n");
  }
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

void append_request_head(std::string& out, std::string_view method, std::string_view target, std::string_view host,
                         long long content_length, std::initializer_list<HeadField> fields) {
  out.append(method).push_back(' ');
  out.append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  append_fields(out, fields);
  out.append("Content-Length: ");
  append_number(out, content_length);
  out.append("\r\n\r\n");
}

}  // namespace sluice::net
