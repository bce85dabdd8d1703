#include "key_value/redis_store.h"

#include <algorithm>

namespace lepton::key_value {

using redis::Reply;

Result<std::shared_ptr<RedisPool>> RedisPool::create(const std::string& url) {
  auto address = redis::parse_address(url);
  if (!address) return fail("bad Redis URL: {}", address.error().message);
  bool v6 = address->host.find(':') != std::string::npos;
  std::string where =
      fmt::format("{}{}{}:{}", v6 ? "[" : "", address->host, v6 ? "]" : "", address->port);
  return std::shared_ptr<RedisPool>(new RedisPool(std::move(*address), std::move(where)));
}

Result<RedisPool::Lease> RedisPool::acquire(const std::string& component_id) {
  // Plain connections are the same whoever asks; TLS ones trust what the component's rules say.
  std::string key = tls() ? component_id : std::string();
  {
    std::lock_guard lock(mu_);
    if (auto it = idle_.find(key); it != idle_.end() && !it->second.empty()) {
      auto client = std::move(it->second.back());
      it->second.pop_back();
      return Lease(shared_from_this(), std::move(client), true, key);
    }
  }
  auto client = redis::Client::connect(address_, std::nullopt, key);
  if (!client) return fail("Redis at {}: {}", where_, client.error().message);
  return Lease(shared_from_this(), std::move(*client), false, key);
}

void RedisPool::give_back(std::unique_ptr<redis::Client> client, const std::string& component_id) {
  std::lock_guard lock(mu_);
  auto& idle = idle_[component_id];
  if (idle.size() < kMaxIdle) idle.push_back(std::move(client));
}

void RedisPool::drop_idle() {
  std::map<std::string, std::vector<std::unique_ptr<redis::Client>>> dropped;
  std::lock_guard lock(mu_);
  dropped.swap(idle_);
}

RedisPool::Lease::~Lease() {
  if (pool_ && client_ && !broken_) pool_->give_back(std::move(client_), component_id_);
}

Result<Reply> RedisPool::Lease::command(const std::vector<std::string>& argv) {
  auto reply = client_->command(argv);
  if (!reply) {
    broken_ = true;
    // One dead connection usually means the server went away: the idle ones are dead too.
    pool_->drop_idle();
    return fail("Redis at {}: {}", pool_->where(), reply.error().message);
  }
  return reply;
}

Result<Reply> RedisStore::run(const std::vector<std::string>& argv, bool idempotent) const {
  LEPTON_TRY(auto lease, pool_->acquire(component_id_));
  auto reply = lease.command(argv);
  if (!reply && lease.reused() && idempotent) {
    LEPTON_TRY(auto fresh, pool_->acquire(component_id_));
    reply = fresh.command(argv);
  }
  if (!reply) return std::move(reply).error();
  if (reply->kind == Reply::Kind::kError)
    return fail("Redis at {}: {}: {}", pool_->where(), argv[0], reply->text);
  return reply;
}

namespace {

Error unexpected(const std::string& where, std::string_view command, const Reply& r) {
  return Error{fmt::format("Redis at {}: {}: unexpected reply (kind {})", where, command,
                           static_cast<int>(r.kind))};
}

}  // namespace

Result<std::optional<std::string>> RedisStore::get(const std::string& key) const {
  LEPTON_TRY(Reply r, run({"GET", key}));
  if (r.kind == Reply::Kind::kNil) return std::optional<std::string>();
  if (r.kind != Reply::Kind::kString) return unexpected(pool_->where(), "GET", r);
  return std::optional<std::string>(std::move(r.text));
}

Status RedisStore::set(const std::string& key, std::string_view value) const {
  LEPTON_TRY(Reply r, run({"SET", key, std::string(value)}));
  (void)r;
  return {};
}

Status RedisStore::remove(const std::string& key) const {
  LEPTON_TRY(Reply r, run({"DEL", key}));
  (void)r;
  return {};
}

Result<bool> RedisStore::exists(const std::string& key) const {
  LEPTON_TRY(Reply r, run({"EXISTS", key}));
  if (r.kind != Reply::Kind::kInteger) return unexpected(pool_->where(), "EXISTS", r);
  return r.integer > 0;
}

Result<std::vector<std::string>> RedisStore::keys() const {
  LEPTON_TRY(Reply r, run({"KEYS", "*"}));
  if (r.kind != Reply::Kind::kArray) return unexpected(pool_->where(), "KEYS", r);
  std::vector<std::string> out;
  out.reserve(r.elements.size());
  for (auto& e : r.elements) out.push_back(std::move(e.text));
  std::sort(out.begin(), out.end());
  return out;
}

Result<int64_t> RedisStore::increment(const std::string& key, int64_t delta) const {
  // Not retried: a lost reply may have been applied.
  LEPTON_TRY(Reply r, run({"INCRBY", key, std::to_string(delta)}, /*idempotent=*/false));
  if (r.kind != Reply::Kind::kInteger) return unexpected(pool_->where(), "INCRBY", r);
  return r.integer;
}

namespace {

// WATCH key, GET key on a leased connection; swap = MULTI, SET, EXEC, which Redis aborts (nil)
// when the watched key was written by anyone else in between.
class RedisCas final : public Cas {
 public:
  RedisCas(RedisPool::Lease lease, std::string key, std::optional<std::string> seen,
           std::string where)
      : lease_(std::move(lease)),
        key_(std::move(key)),
        seen_(std::move(seen)),
        where_(std::move(where)) {}
  ~RedisCas() override {
    // Never swapped: the connection goes back to the pool without its WATCH.
    if (!spent_ && !lease_.broken()) (void)lease_.command({"UNWATCH"});
  }
  const std::optional<std::string>& current() const override { return seen_; }

  Result<bool> swap(std::string_view value) override {
    if (spent_) return fail("compare-and-swap already used");
    spent_ = true;
    auto check = [this](Result<Reply> r, std::string_view what) -> Status {
      if (!r) return std::move(r).error();
      if (r->kind == Reply::Kind::kError) return fail("Redis at {}: {}: {}", where_, what, r->text);
      return {};
    };
    auto multi = lease_.command({"MULTI"});
    LEPTON_CHECK(check(std::move(multi), "MULTI"));
    auto queued = lease_.command({"SET", key_, std::string(value)});
    if (Status s = check(std::move(queued), "SET"); !s) {
      if (!lease_.broken()) (void)lease_.command({"DISCARD"});
      return std::move(s).error();
    }
    LEPTON_TRY(Reply exec, lease_.command({"EXEC"}));
    if (exec.kind == Reply::Kind::kNil) return false;  // the key changed: aborted
    if (exec.kind == Reply::Kind::kError) return fail("Redis at {}: EXEC: {}", where_, exec.text);
    if (exec.kind != Reply::Kind::kArray || exec.elements.size() != 1 ||
        exec.elements[0].kind == Reply::Kind::kError)
      return fail("Redis at {}: EXEC: unexpected reply", where_);
    return true;
  }

 private:
  RedisPool::Lease lease_;
  std::string key_;
  std::optional<std::string> seen_;
  std::string where_;
  bool spent_ = false;
};

}  // namespace

Result<std::unique_ptr<Cas>> RedisStore::new_cas(const std::string& key) const {
  LEPTON_TRY(auto lease, pool_->acquire(component_id_));
  auto watched = lease.command({"WATCH", key});
  if (!watched && lease.reused()) {  // a stale pooled connection: once more on a new one
    LEPTON_TRY(lease, pool_->acquire(component_id_));
    watched = lease.command({"WATCH", key});
  }
  if (!watched) return std::move(watched).error();
  if (watched->kind == Reply::Kind::kError)
    return fail("Redis at {}: WATCH: {}", pool_->where(), watched->text);
  LEPTON_TRY(Reply r, lease.command({"GET", key}));
  std::optional<std::string> seen;
  if (r.kind == Reply::Kind::kString) {
    seen = std::move(r.text);
  } else if (r.kind != Reply::Kind::kNil) {
    (void)lease.command({"UNWATCH"});
    return r.kind == Reply::Kind::kError ? fail("Redis at {}: GET: {}", pool_->where(), r.text)
                                         : unexpected(pool_->where(), "GET", r);
  }
  return std::unique_ptr<Cas>(
      std::make_unique<RedisCas>(std::move(lease), key, std::move(seen), pool_->where()));
}

Result<std::vector<std::optional<std::string>>> RedisStore::get_many(
    const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> out;
  if (keys.empty()) return out;  // MGET needs a key
  std::vector<std::string> argv{"MGET"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  LEPTON_TRY(Reply r, run(argv));
  if (r.kind != Reply::Kind::kArray || r.elements.size() != keys.size())
    return unexpected(pool_->where(), "MGET", r);
  for (auto& e : r.elements) {
    if (e.kind == Reply::Kind::kString)
      out.emplace_back(std::move(e.text));
    else
      out.emplace_back();
  }
  return out;
}

Status RedisStore::set_many(const std::vector<std::pair<std::string, std::string>>& items) const {
  if (items.empty()) return {};
  std::vector<std::string> argv{"MSET"};
  for (const auto& [k, v] : items) {
    argv.push_back(k);
    argv.push_back(v);
  }
  LEPTON_TRY(Reply r, run(argv));
  (void)r;
  return {};
}

Status RedisStore::delete_many(const std::vector<std::string>& keys) const {
  if (keys.empty()) return {};
  std::vector<std::string> argv{"DEL"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  LEPTON_TRY(Reply r, run(argv));
  (void)r;
  return {};
}

}  // namespace lepton::key_value
