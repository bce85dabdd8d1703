// The `redis` key-value backend, as Spin's key-value-redis: every label configured with the same
// URL shares that server's keyspace (keys are not prefixed by label), values are Redis strings,
// get-keys is KEYS *, increment is INCRBY, the batch operations are MGET / MSET / DEL, and a
// compare-and-swap WATCHes its key on a connection of its own and writes in MULTI / EXEC, which
// fails (nothing written) when the key changed in between.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "key_value/store.h"
#include "redis/client.h"

namespace lepton::key_value {

// Connections to one Redis server, made when first needed and kept for reuse. Thread-safe.
class RedisPool : public std::enable_shared_from_this<RedisPool> {
 public:
  // Checks the URL (redis://[user:password@]host[:port][/db]); connects to nothing yet.
  static Result<std::shared_ptr<RedisPool>> create(const std::string& url);

  // A connection taken from the pool; given back when the lease ends unless it failed.
  class Lease {
   public:
    Lease(std::shared_ptr<RedisPool> pool, std::unique_ptr<redis::Client> client, bool reused,
          std::string component_id = {})
        : pool_(std::move(pool)),
          client_(std::move(client)),
          reused_(reused),
          component_id_(std::move(component_id)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = default;
    ~Lease();
    // One command; an Error is a connection failure (the connection is then dropped) or, with
    // `error_replies`, a Redis error reply.
    Result<redis::Reply> command(const std::vector<std::string>& argv);
    bool reused() const { return reused_; }
    bool broken() const { return broken_; }

   private:
    std::shared_ptr<RedisPool> pool_;
    std::unique_ptr<redis::Client> client_;
    bool reused_ = false;
    bool broken_ = false;
    std::string component_id_;
  };

  // A connection made for `component_id` (rediss://: its [[client_tls]] rules apply; empty: the
  // system roots). Idle connections are kept per component.
  Result<Lease> acquire(const std::string& component_id = {});
  const std::string& where() const { return where_; }
  bool tls() const { return address_.scheme == "rediss"; }

 private:
  RedisPool(redis::Address address, std::string where)
      : address_(std::move(address)), where_(std::move(where)) {}
  void give_back(std::unique_ptr<redis::Client> client, const std::string& component_id);
  void drop_idle();

  static constexpr size_t kMaxIdle = 64;
  redis::Address address_;
  std::string where_;  // "host:port", for messages
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<redis::Client>>> idle_;  // by component
};

class RedisStore final : public Store {
 public:
  explicit RedisStore(std::shared_ptr<RedisPool> pool, std::string component_id = {})
      : pool_(std::move(pool)), component_id_(std::move(component_id)) {}
  // The same store as used by `component_id` (rediss://: its [[client_tls]] rules apply).
  std::unique_ptr<RedisStore> for_component(const std::string& component_id) const {
    return std::make_unique<RedisStore>(pool_, component_id);
  }
  bool tls() const { return pool_->tls(); }

  Result<std::optional<std::string>> get(const std::string& key) const override;
  Status set(const std::string& key, std::string_view value) const override;
  Status remove(const std::string& key) const override;
  Result<bool> exists(const std::string& key) const override;
  Result<std::vector<std::string>> keys() const override;
  Result<int64_t> increment(const std::string& key, int64_t delta) const override;
  Result<std::unique_ptr<Cas>> new_cas(const std::string& key) const override;
  Result<std::vector<std::optional<std::string>>> get_many(
      const std::vector<std::string>& keys) const override;
  Status set_many(const std::vector<std::pair<std::string, std::string>>& items) const override;
  Status delete_many(const std::vector<std::string>& keys) const override;

 private:
  // Runs one command; a Redis error reply is an Error too. An idempotent command that fails on a
  // reused connection (the server restarted since) is tried once more on a new one.
  Result<redis::Reply> run(const std::vector<std::string>& argv, bool idempotent = true) const;
  std::shared_ptr<RedisPool> pool_;
  std::string component_id_;
};

}  // namespace lepton::key_value
