// `ward redact run --job FILE`'s job spec parser (src/redact/job.cpp) over untrusted JSON, as
// load_job reads it. Whatever the bytes, the result is a parsed job or Error(usage) — never
// another exception, a crash or a hang in Hyperscan's compiler — and an error never quotes the
// value of a field whose name says it holds a secret (a password or token pasted into the job
// by mistake is named in the error by its key, never shown).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ward/error.hpp"
#include "ward/redact/job.hpp"

namespace {

using Json = nlohmann::json;

bool secret_name(std::string key) {
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"pass", "secret", "token", "private", "apikey", "api_key"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

// String values of secret-named members, anywhere in the document.
void secret_values(const Json& value, std::vector<std::string>& out) {
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      if (secret_name(key) && member.is_string() &&
          member.get_ref<const std::string&>().size() >= 6)
        out.push_back(member.get<std::string>());
      secret_values(member, out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) secret_values(item, out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto document = Json::parse(text, nullptr, false);
  if (document.is_discarded()) return 0;  // load_job: "is not valid JSON", Error(usage)
  try {
    const auto job = ward::redact::parse_job(document, "/jobs");
    if (job.name.empty() || job.targets.empty()) __builtin_trap();
    for (const auto& target : job.targets) {
      if (target.type == "file" && target.paths.empty()) __builtin_trap();
    }
  } catch (const ward::Error& e) {
    if (e.code() != ward::ErrorCode::usage) __builtin_trap();
    std::vector<std::string> secrets;
    secret_values(document, secrets);
    const std::string message = std::string(e.what()) + "\n" + e.hint();
    for (const auto& secret : secrets) {
      if (message.find(secret) != std::string::npos) __builtin_trap();
    }
  }
  return 0;
}
