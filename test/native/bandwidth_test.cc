// Token buckets (engine / job / control caps), the upload control's paused time, and the
// proxy choice per URL (noProxy matching, credentials never shown).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bandwidth.h"
#include "proxy.h"

namespace uplift {
namespace {

using Clock = std::chrono::steady_clock;

// Takes bytes as fast as the buckets allow for `ms` milliseconds from `threads` threads.
uint64_t drain(std::vector<TokenBucket*> buckets, int threads, int ms) {
  std::atomic<uint64_t> total{0};
  auto until = Clock::now() + std::chrono::milliseconds(ms);
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      while (Clock::now() < until) {
        uint64_t n = grantFrom(buckets, 64 * 1024);
        if (n == 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        } else {
          total += n;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  return total.load();
}

TEST(TokenBucket, UnlimitedGrantsEverything) {
  TokenBucket b;
  EXPECT_EQ(b.available(1 << 20), 1u << 20);
  EXPECT_EQ(grantFrom({&b}, 12345), 12345u);
}

TEST(TokenBucket, HoldsTheRateAcrossThreads) {
  TokenBucket b(1024 * 1024);
  uint64_t got = drain({&b}, 4, 1000);
  // 1 s at 1 MiB/s plus at most one burst (1/20 s)
  EXPECT_GE(got, 1024u * 1024u * 85 / 100);
  EXPECT_LE(got, 1024u * 1024u * 115 / 100);
}

TEST(TokenBucket, TheSmallestBucketWins) {
  TokenBucket engine(4 * 1024 * 1024);
  TokenBucket job(256 * 1024);
  uint64_t got = drain({&engine, &job}, 2, 1000);
  EXPECT_GE(got, 256u * 1024u * 80 / 100);
  EXPECT_LE(got, 256u * 1024u * 120 / 100);
}

TEST(TokenBucket, SetRateTakesEffectAtOnce) {
  TokenBucket b(64 * 1024);
  drain({&b}, 1, 100);  // empty it
  b.setRate(0);
  EXPECT_EQ(b.available(1 << 20), 1u << 20);
  b.setRate(64 * 1024);
  EXPECT_LE(b.available(1 << 20), 4096u);
  b.take(100000);  // debt: nothing until it is paid back
  EXPECT_EQ(b.available(1), 0u);
}

TEST(TokenBucket, UnusedBytesGoBack) {
  TokenBucket b(1024 * 1024);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  uint64_t n = grantFrom({&b}, 1 << 20);
  ASSERT_GT(n, 40000u);
  EXPECT_LT(b.available(1 << 20), 4096u);  // only what refilled since
  b.giveBack(n);
  EXPECT_GE(b.available(1 << 20), n - 1);
}

TEST(UploadControl, CountsPausedTime) {
  UploadControl c;
  EXPECT_FALSE(c.paused());
  EXPECT_FALSE(c.resume());
  c.pause();
  EXPECT_TRUE(c.paused());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  EXPECT_GE(c.pausedMs(), 100);
  EXPECT_TRUE(c.resume());
  int64_t after = c.pausedMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(c.pausedMs(), after);  // not paused any more: no time added
}

TEST(Proxy, ChoosesByScheme) {
  ProxySettings p;
  p.http = "http://plain:3128";
  p.https = "http://user:pw@secure:3128";
  EXPECT_EQ(proxyFor(p, "http://h.example/x"), "http://plain:3128");
  EXPECT_EQ(proxyFor(p, "HTTPS://h.example/x"), "http://user:pw@secure:3128");
  p.http.clear();
  EXPECT_EQ(proxyFor(p, "http://h.example/x"), "");
}

TEST(Proxy, NoProxyMatchesHostsAndDomainSuffixes) {
  EXPECT_TRUE(bypassesProxy("*", "anything.example"));
  EXPECT_TRUE(bypassesProxy("localhost, 127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(bypassesProxy(".corp.example", "s3.corp.example"));
  EXPECT_TRUE(bypassesProxy("corp.example", "s3.corp.example"));
  EXPECT_TRUE(bypassesProxy("corp.example", "corp.example"));
  EXPECT_FALSE(bypassesProxy("corp.example", "notcorp.example"));
  EXPECT_FALSE(bypassesProxy("", "h"));
  EXPECT_TRUE(bypassesProxy("::1", "::1"));
  ProxySettings p;
  p.https = "http://proxy:8080";
  p.noProxy = "internal.example";
  EXPECT_EQ(proxyFor(p, "https://user:pw@api.internal.example:443/x"), "");
  EXPECT_EQ(proxyFor(p, "https://[::1]:443/x"), "http://proxy:8080");
}

TEST(Proxy, ShownWithoutCredentials) {
  EXPECT_EQ(shownProxy("http://alice:s3cret@proxy.example:8080"), "http://proxy.example:8080");
  EXPECT_EQ(shownProxy("socks5://proxy:1080/"), "socks5://proxy:1080");
  EXPECT_EQ(shownProxy("proxy:1"), "proxy:1");
}

}  // namespace
}  // namespace uplift
