// Train/validation splits: deterministic from a seed, or from explicit lists.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace heatmark {

struct Split {
  std::vector<size_t> train, validation;  // sample indices, ascending
};

// Puts round(fraction * subjects) subjects into validation, chosen by a
// Philox permutation of the sorted subject ids. Samples that share a subject
// id (the same patient at two resolutions, say) always land together.
Split random_split(const Dataset& dataset, double validation_fraction, uint64_t seed);

// Splits by two text files listing one image per line (its path relative to
// the dataset root, its file name, or its id); every sample must be listed
// in exactly one (the error names the first that is not, or the unknown entry).
Split split_from_lists(const Dataset& dataset, const std::string& train_list, const std::string& validation_list);

// A permutation of 0..n-1 from (seed, epoch): the order of an epoch.
std::vector<size_t> epoch_order(size_t n, uint64_t seed, uint64_t epoch);

}  // namespace heatmark
