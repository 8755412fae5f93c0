#include "train/split.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "base/error.h"
#include "data/text.h"
#include "tensor/philox.h"

namespace heatmark {

namespace fs = std::filesystem;

std::vector<size_t> epoch_order(size_t n, uint64_t seed, uint64_t epoch) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (size_t i = n; i > 1; --i) {  // Fisher-Yates, one Philox word per swap
    const Philox4x32 w = philox_block(seed, (epoch << 32) | i, 0x5EED);
    const uint64_t r = (uint64_t{w.v[0]} << 32) | w.v[1];
    std::swap(order[i - 1], order[r % i]);
  }
  return order;
}

Split random_split(const Dataset& d, double fraction, uint64_t seed) {
  HM_CHECK(fraction >= 0 && fraction < 1, "--val-fraction must be in [0, 1), got {}", fraction);
  std::map<std::string, std::vector<size_t>> by_subject;
  for (size_t i = 0; i < d.samples.size(); ++i) by_subject[d.samples[i].id].push_back(i);
  std::vector<std::string> subjects;
  for (const auto& [id, samples] : by_subject) subjects.push_back(id);
  const size_t n_val = static_cast<size_t>(std::lround(fraction * static_cast<double>(subjects.size())));
  HM_CHECK(fraction == 0 || (n_val >= 1 && n_val < subjects.size()),
           "--val-fraction {} of {} subjects leaves an empty training or validation set", fraction, subjects.size());
  const std::vector<size_t> order = epoch_order(subjects.size(), seed, 0xFFFFFFFF);
  Split split;
  for (size_t r = 0; r < subjects.size(); ++r) {
    const std::vector<size_t>& samples = by_subject[subjects[order[r]]];
    (r < n_val ? split.validation : split.train).insert((r < n_val ? split.validation : split.train).end(),
                                                          samples.begin(), samples.end());
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

Split split_from_lists(const Dataset& d, const std::string& train_list, const std::string& validation_list) {
  // Every way a line may name a sample.
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < d.samples.size(); ++i) {
    const fs::path image(d.samples[i].image);
    names[fs::relative(image, d.root).string()] = i;
    names[image.filename().string()] = i;
    names[d.samples[i].id] = i;
  }
  std::map<size_t, int> seen;  // sample -> which list (0 train, 1 validation)
  Split split;
  int which = 0;
  for (const std::string& list : {train_list, validation_list}) {
    const std::vector<std::string> lines = text_lines(read_text_file(list));  // a byte-order mark dropped
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string& line = lines[i];
      const int number = static_cast<int>(i + 1);
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      auto it = names.find(line);
      HM_CHECK(it != names.end(), "{} line {}: '{}' is not an image of the dataset {}", list, number, printable(line),
               d.root);
      HM_CHECK(!seen.count(it->second), "{} line {}: '{}' is listed twice", list, number, printable(line));
      seen[it->second] = which;
      (which == 0 ? split.train : split.validation).push_back(it->second);
    }
    ++which;
  }
  for (size_t i = 0; i < d.samples.size(); ++i)
    HM_CHECK(seen.count(i), "image {} is in neither {} nor {}", d.samples[i].image, train_list, validation_list);
  HM_CHECK(!split.train.empty(), "split list {} names no images", train_list);
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  return split;
}

}  // namespace heatmark
