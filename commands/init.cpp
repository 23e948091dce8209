#include <filesystem>

#include "commands.hpp"
#include "output.hpp"
#include "ward/error.hpp"

namespace ward::cli {

void register_init(CLI::App& app, Context& ctx) {
  struct Options {
    std::uint32_t kdf_memory_kib = 64 * 1024;
    std::uint32_t kdf_iterations = 3;
    std::string kek_max_age = "90d";
  };
  auto options = std::make_shared<Options>();
  auto* init = app.add_subcommand("init", "Create a store and its master key");
  init->add_option("--kdf-memory", options->kdf_memory_kib,
                   "Argon2id memory for passphrase entries, KiB")
      ->check(CLI::Range(8U * 1024U, 4U * 1024U * 1024U));
  init->add_option("--kdf-iterations", options->kdf_iterations, "Argon2id iterations")
      ->check(CLI::Range(1U, 64U));
  init->add_option("--kek-max-age", options->kek_max_age,
                   "Rotation policy for key-encryption keys (e.g. 90d)");
  init->add_flag("--accept-new-hostkey", ctx.options.accept_new_hostkey,
                 "SFTP store: trust the server's host key if known_hosts does not list it yet, "
                 "and record it there");
  init->footer(
      "Unlock method: the global --key-file PATH (created when it does not exist), "
      "--passphrase-file PATH, --passphrase-fd N, or a prompt.");
  set_action(init, [&ctx, options] {
    auto& store = ctx.store();
    if (store.contains("config")) {
      fail(ErrorCode::conflict, "a ward store already exists at " + store.url(),
           "use it with --store, or choose another location");
    }
    const bool key_file_is_new =
        !ctx.options.key_file.empty() && !std::filesystem::exists(ctx.options.key_file);
    auto unlock = ctx.new_unlock_material(ctx.options.key_file, ctx.options.passphrase_file,
                                          ctx.options.passphrase_fd, /*allow_prompt=*/true);
    keyring::InitOptions init_options;
    init_options.kdf.memory_kib = options->kdf_memory_kib;
    init_options.kdf.iterations = options->kdf_iterations;
    init_options.kek_max_age = util::parse_duration(options->kek_max_age);
    std::unique_ptr<keyring::Keyring> keyring;
    try {
      keyring = keyring::Keyring::initialize(store, unlock, init_options);
    } catch (const Error&) {
      // A key file that unlocks nothing must not be left for someone to keep.
      if (key_file_is_new) std::filesystem::remove(ctx.options.key_file);
      throw;
    }
    const auto entries = keyring->unlock_entries();
    const auto store_id = keyring->config().store_id;
    const bool atomic = keyring->config().atomic_put_if_absent;
    ctx.adopt(std::move(keyring));
    ctx.record("store.init", "", "", "ok", 0,
               {{"unlock", entries.empty() ? "" : entries.front().kind}});
    if (ctx.json()) {
      print_json({{"schema", "ward.init/v1"},
                  {"store", store.url()},
                  {"store_id", store_id},
                  {"unlock_entry", entries.empty() ? "" : entries.front().id},
                  {"unlock_kind", entries.empty() ? "" : entries.front().kind},
                  {"put_if_absent", atomic ? "atomic" : "suffix"},
                  {"key_file_created", key_file_is_new ? ctx.options.key_file : ""}});
      return;
    }
    print_line("initialised store " + store.url() + " (id " + store_id + ")");
    if (!atomic) {
      print_line(
          "note: the server overwrites existing objects even when asked not to (it ignores "
          "If-None-Match: *); ward uses the suffix-and-rule fallback for concurrent writers "
          "(see ward-store(5))");
    }
    if (key_file_is_new) {
      print_line("wrote new key file " + ctx.options.key_file +
                 " (mode 0600): keep it safe and backed up; without it the store cannot be opened");
    }
  });
}

}  // namespace ward::cli
