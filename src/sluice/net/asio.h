#pragma once
/// Short names for the Asio/Beast types used across the I/O shell. Only I/O
/// areas (net/, proxy/, admin/, provider/, engine's server) include this.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sluice::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

/// Completion token: returns (error_code, …) as a tuple instead of throwing.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

}  // namespace sluice::net
