#pragma once
/// Checks JSON answers of the admin API against docs/admin-api.yaml, so the
/// document and the server cannot drift apart unnoticed.
///
/// A small subset of OpenAPI 3.0 schemas, the one the document uses: `type`
/// (object, array, string, integer, number, boolean), `required`,
/// `properties`, `additionalProperties` (false, or a schema), `items`,
/// `enum`, `nullable`, `$ref` (to `#/components/...`) and `allOf`. Other
/// keywords (format, minimum, pattern, description…) are documentation here
/// and are not checked. Not thread-safe to load; const members from any thread.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sluice::itest {

class OpenApiDoc {
 public:
  /// Loads a YAML OpenAPI document; nullopt (with `error` set) when it cannot
  /// be read or parsed.
  static std::optional<OpenApiDoc> load(const std::string& path, std::string& error);
  /// Loads docs/admin-api.yaml of the source tree.
  static std::optional<OpenApiDoc> load_admin_api(std::string& error);

  /// The path template ("/admin/tenants/{id}/keys") that a concrete path
  /// ("/admin/tenants/acme/keys", a query allowed) matches; a template
  /// without parameters wins over one with.
  std::optional<std::string> match_path(std::string_view path) const;

  /// The mismatches of `body` against the JSON response schema of `method`
  /// (any case) on `path_template` for `status` (or the operation's
  /// "default"), each "$.data[0].created_at: expected string, got number".
  /// An undocumented route, method or status is one mismatch too.
  std::vector<std::string> check(std::string_view method, std::string_view path_template, int status,
                                 const nlohmann::json& body) const;

  /// check() on the template `path` matches.
  std::vector<std::string> check_path(std::string_view method, std::string_view path, int status,
                                      const nlohmann::json& body) const;

  /// `schema` (a schema object, or {"$ref": …}) against `value`.
  std::vector<std::string> check_schema(const nlohmann::json& schema, const nlohmann::json& value) const;

  const nlohmann::json& document() const { return doc_; }

 private:
  explicit OpenApiDoc(nlohmann::json doc) : doc_(std::move(doc)) {}
  void validate(const nlohmann::json& schema, const nlohmann::json& value, const std::string& where,
                std::vector<std::string>& out, int depth) const;
  const nlohmann::json* resolve(const nlohmann::json& schema, std::vector<std::string>& out,
                                const std::string& where) const;

  nlohmann::json doc_;
};

/// The mismatches joined one per line, for a test's failure message.
std::string join_mismatches(const std::vector<std::string>& mismatches);

}  // namespace sluice::itest
