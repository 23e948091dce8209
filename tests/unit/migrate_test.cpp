#include "ward/maintenance/migrate.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "store_conformance.hpp"
#include "test_support.hpp"
#include "ward/store/file_store.hpp"
#include "ward/store/object_store.hpp"

namespace {

// A file store that records the names of every put batch it is asked to write.
class PutBatchRecorder final : public ward::store::ObjectStore {
 public:
  explicit PutBatchRecorder(std::unique_ptr<ward::store::ObjectStore> inner)
      : m_inner(std::move(inner)) {}
  [[nodiscard]] std::string url() const override { return "recorder+" + m_inner->url(); }
  bool put_if_absent(const std::string& name, std::span<const std::uint8_t> data) override {
    batches.push_back({name});
    return m_inner->put_if_absent(name, data);
  }
  std::vector<bool> put_batch(const std::vector<PutRequest>& requests) override {
    auto& names = batches.emplace_back();
    for (const auto& request : requests) names.push_back(request.name);
    return m_inner->put_batch(requests);
  }
  std::optional<ward::store::Bytes> get(const std::string& name) override {
    return m_inner->get(name);
  }
  [[nodiscard]] bool confirms_writes() const override { return m_inner->confirms_writes(); }
  std::vector<std::string> list(const std::string& prefix) override {
    return m_inner->list(prefix);
  }
  void remove(const std::string& name) override { m_inner->remove(name); }
  bool create() override { return m_inner->create(); }
  bool exists() override { return m_inner->exists(); }

  std::vector<std::vector<std::string>> batches;

 private:
  std::unique_ptr<ward::store::ObjectStore> m_inner;
};

}  // namespace

TEST_CASE("migrate copies everything in bounded batches and the config last, alone") {
  const ward::testing::TempDir dir;
  auto source = ward::store::make_file_store(dir.path() / "src");
  source->create();
  // 600 small objects, then a few large ones.
  std::vector<ward::store::ObjectStore::PutRequest> objects;
  for (int i = 0; i < 600; ++i) {
    const auto name = "small/" + std::to_string(1000 + i);
    objects.push_back({name, ward::testing::bytes_of(name)});
  }
  for (int i = 0; i < 3; ++i) {
    objects.push_back({"zlarge/" + std::to_string(i), ward::store::Bytes(9 * 1024 * 1024, 'x')});
  }
  objects.push_back({"config", ward::testing::bytes_of("{}")});
  const auto stored = source->put_batch(objects);
  REQUIRE(std::count(stored.begin(), stored.end(), true) == std::ssize(objects));

  PutBatchRecorder destination(ward::store::make_file_store(dir.path() / "dst"));
  std::size_t last_done = 0;
  const auto result = ward::maintenance::migrate_store(*source, destination,
                                                       [&](std::size_t done, std::size_t all) {
                                                         REQUIRE(done == last_done + 1);
                                                         REQUIRE(all == objects.size());
                                                         last_done = done;
                                                       });
  REQUIRE(result.objects == objects.size());
  REQUIRE(result.copied == objects.size());
  REQUIRE(last_done == objects.size());
  REQUIRE(destination.batches.back() == std::vector<std::string>{"config"});
  std::size_t copied = 0;
  for (const auto& batch : destination.batches) {
    INFO("batch of " << batch.size() << " from " << batch.front());
    REQUIRE(batch.size() <= 256);
    copied += batch.size();
  }
  REQUIRE(copied == objects.size());
  // Small objects share batches: fewer than one per group of 64.
  REQUIRE(destination.batches.size() < 600 / 64);
  for (const auto& object : objects) {
    INFO(object.name);
    REQUIRE(destination.get(object.name) == object.data);
  }

  // Again: everything is already there, nothing is written.
  destination.batches.clear();
  const auto again = ward::maintenance::migrate_store(*source, destination, {});
  REQUIRE(again.skipped == objects.size());
  REQUIRE(again.copied == 0);
  REQUIRE(destination.batches.empty());
}
