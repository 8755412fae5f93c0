// The doctest main of every test binary, with two guards that make a test
// that did not run visible instead of counted as passed:
//   - a run whose --test-case filter matched no test case fails (ctest runs
//     one test case per entry, so a discovery quirk that mangles a name would
//     otherwise pass as "0 test cases, exit 0");
//   - with HEATMARK_TEST_CENSUS=FILE, every test case that starts appends
//     "binary<TAB>name" to FILE, so tools/check_test_census.sh can check that
//     each listed test case ran exactly once.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int test_cases_started = 0;
bool was_query = false;  // --list-test-cases and the like run no test
std::string binary_name;

// Appends one line with a single write(): O_APPEND keeps lines from test
// binaries that ctest runs in parallel whole.
void record_in_census(const std::string& test_case) {
  const char* path = std::getenv("HEATMARK_TEST_CENSUS");
  if (!path || !*path) return;
  const std::string line = binary_name + "\t" + test_case + "\n";
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "test census: cannot append to %s\n", path);
    std::_Exit(1);
  }
  ::close(fd);
}

struct CensusListener : doctest::IReporter {
  explicit CensusListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override { was_query = true; }
  void test_case_start(const doctest::TestCaseData& data) override {
    ++test_cases_started;
    record_in_census(data.m_name);
  }
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("census", 1, CensusListener);

}  // namespace

int main(int argc, char** argv) {
  binary_name = argc > 0 ? argv[0] : "tests";
  binary_name = binary_name.substr(binary_name.find_last_of('/') + 1);
  doctest::Context context(argc, argv);
  const int failures = context.run();
  if (failures != 0 || context.shouldExit() || was_query) return failures;
  if (test_cases_started == 0) {
    std::fprintf(stderr, "%s: no test case matched the filter: nothing ran, which is a failure\n",
                 binary_name.c_str());
    return 1;
  }
  return 0;
}
