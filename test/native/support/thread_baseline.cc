// Makes thread-count baselines (/proc/self/task) stable in every build of the test binary.
// ThreadSanitizer starts its own background thread at the first pthread_create of the
// process; a test that counts threads before creating any would otherwise see one thread more
// at its end than at its start. Creating (and joining) one thread at start-up spawns it first.
#include <thread>

namespace uplift::testing {
namespace {

const bool kSanitizerThreadsStarted = [] {
  std::thread([] {}).join();
  return true;
}();

}  // namespace
}  // namespace uplift::testing
