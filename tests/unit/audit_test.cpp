#include <catch2/catch.hpp>

#include "test_support.hpp"
#include "ward/audit/log.hpp"
#include "ward/crypto/random.hpp"
#include "ward/crypto/signing.hpp"
#include "ward/store/file_store.hpp"

namespace wa = ward::audit;
using ward::ErrorCode;
using ward::testing::error_code_of;
using ward::testing::TempDir;

namespace {

struct Fixture {
  TempDir dir;
  std::unique_ptr<ward::store::ObjectStore> store = ward::store::make_file_store(dir.path() / "s");
  ward::crypto::SecretBytes key = ward::crypto::random_secret(32);
  ward::crypto::SigningKeyPair signer = ward::crypto::ed25519_generate();
  wa::Log log{*store, key, "store-one"};

  Fixture() {
    store->create();
    for (int i = 1; i <= 5; ++i) {
      wa::Event e;
      e.action = "cred.get";
      e.target = "c" + std::to_string(i);
      e.outcome = "ok";
      log.append(e);
    }
  }
};

}  // namespace

TEST_CASE("the audit chain verifies and reads back in order") {
  Fixture f;
  const auto report = f.log.verify(std::nullopt, f.signer.public_key);
  REQUIRE(report.ok());
  REQUIRE(report.events == 5);
  const auto events = f.log.read();
  REQUIRE(events.size() == 5);
  REQUIRE(events[2].seq == 3);
  REQUIRE(events[2].target == "c3");
  REQUIRE(events[0].prev == std::string(64, '0'));
  REQUIRE(f.log.read({std::nullopt, std::nullopt, std::string("c4")}).size() == 1);
  REQUIRE(f.log.read({std::nullopt, std::string("cred."), std::nullopt}).size() == 5);
  REQUIRE(f.log.read({std::nullopt, std::string("key."), std::nullopt}).empty());
}

TEST_CASE("a deleted, replaced or reordered event is detected") {
  SECTION("deleted") {
    Fixture f;
    f.store->remove(wa::event_object_name(3));
    const auto report = f.log.verify(std::nullopt, f.signer.public_key);
    REQUIRE_FALSE(report.ok());
    REQUIRE(report.problems.front().find("missing") != std::string::npos);
  }
  SECTION("swapped") {
    Fixture f;
    const auto two = *f.store->get(wa::event_object_name(2));
    const auto four = *f.store->get(wa::event_object_name(4));
    f.store->remove(wa::event_object_name(2));
    f.store->remove(wa::event_object_name(4));
    f.store->put_if_absent(wa::event_object_name(2), four);
    f.store->put_if_absent(wa::event_object_name(4), two);
    const auto report = f.log.verify(std::nullopt, f.signer.public_key);
    REQUIRE(report.problems.size() >= 2);
  }
  SECTION("head removed is only visible against a checkpoint") {
    Fixture f;
    const auto checkpoint = f.log.checkpoint(f.signer.seed);
    REQUIRE(checkpoint.seq == 5);
    const auto line = checkpoint.line();
    f.store->remove(wa::event_object_name(5));
    f.store->remove_batch(f.store->list("audit/checkpoints/"));
    REQUIRE(f.log.verify(std::nullopt, f.signer.public_key).ok());
    const auto report = f.log.verify(wa::Checkpoint::parse(line), f.signer.public_key);
    REQUIRE_FALSE(report.ok());
    REQUIRE(report.problems.front().find("truncated") != std::string::npos);
  }
}

TEST_CASE("checkpoints: signed, bound to their store, parsed strictly") {
  Fixture f;
  const auto checkpoint = f.log.checkpoint(f.signer.seed);
  REQUIRE(f.log.verify(checkpoint, f.signer.public_key).checkpoint_matched);
  auto forged = checkpoint;
  forged.head_hash[0] = forged.head_hash[0] == 'a' ? 'b' : 'a';
  REQUIRE_FALSE(f.log.verify(forged, f.signer.public_key).ok());
  REQUIRE_FALSE(f.log.verify(checkpoint, ward::crypto::ed25519_generate().public_key).ok());
  auto other_store = checkpoint;
  other_store.store_id = "store-two";
  REQUIRE_FALSE(f.log.verify(other_store, f.signer.public_key).ok());
  REQUIRE(wa::Checkpoint::parse(checkpoint.line() + "\n").line() == checkpoint.line());
  REQUIRE(error_code_of([] { (void)wa::Checkpoint::parse("ward-checkpoint/v1 a b c"); }) ==
          ErrorCode::usage);
  REQUIRE(error_code_of([] { (void)wa::Checkpoint::parse("nonsense"); }) == ErrorCode::usage);
}

TEST_CASE("sealed segments verify, read back and show tampering") {
  Fixture f;
  for (int i = 6; i <= 12; ++i) {
    wa::Event e;
    e.action = "cred.rotate";
    e.target = "c" + std::to_string(i);
    e.outcome = "ok";
    f.log.append(e);
  }
  const auto line = f.log.checkpoint(f.signer.seed).line();
  REQUIRE(f.log.seal(100) == 0);  // below the threshold: nothing sealed
  REQUIRE(f.log.seal(3) == 11);   // all but the newest
  REQUIRE(f.store->list("audit/seg/").size() == 1);
  REQUIRE_FALSE(f.store->contains(wa::event_object_name(5)));
  REQUIRE(f.store->contains(wa::event_object_name(12)));

  const auto report = f.log.verify(wa::Checkpoint::parse(line), f.signer.public_key);
  REQUIRE(report.ok());
  REQUIRE(report.events == 12);
  REQUIRE(report.checkpoint_matched);
  const auto events = f.log.read();
  REQUIRE(events.size() == 12);
  REQUIRE(events[6].target == "c7");

  // Appending after sealing chains onto the unsealed head.
  wa::Event more;
  more.action = "cred.get";
  more.outcome = "ok";
  REQUIRE(f.log.append(more).seq == 13);
  REQUIRE(f.log.verify(std::nullopt, f.signer.public_key).ok());

  SECTION("a flipped bit in a segment") {
    const auto name = f.store->list("audit/seg/").front();
    auto bytes = *f.store->get(name);
    bytes[bytes.size() / 2] ^= 0x04;
    f.store->remove(name);
    f.store->put_if_absent(name, bytes);
    const auto damaged = f.log.verify(std::nullopt, f.signer.public_key);
    REQUIRE_FALSE(damaged.ok());
    REQUIRE(error_code_of([&] { (void)f.log.read(); }) == ErrorCode::auth);
  }
  SECTION("a deleted segment") {
    f.store->remove(f.store->list("audit/seg/").front());
    REQUIRE_FALSE(f.log.verify(std::nullopt, f.signer.public_key).ok());
  }
  SECTION("a single copy that disagrees with its sealed copy") {
    const auto twelve = *f.store->get(wa::event_object_name(12));
    // Event 12 is unsealed; a forged single copy of sealed event 3 cannot authenticate.
    f.store->put_if_absent(wa::event_object_name(3), twelve);
    REQUIRE_FALSE(f.log.verify(std::nullopt, f.signer.public_key).ok());
  }
}
