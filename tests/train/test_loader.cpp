// The background loader: its batches equal the synchronous ones, it stops
// cleanly mid-epoch or on an error in its thread, and a batch holding NaN or
// inf is named before it reaches the model. The ThreadSanitizer build of the
// test suite (tools/run_tests.sh) runs exactly these tests.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <limits>

#include "base/error.h"
#include "tests/support/temp_dir.h"
#include "data/dataset.h"
#include "train/loader.h"
#include "train/synth.h"

using namespace heatmark;
using heatmark::testing::TempDir;
namespace fs = std::filesystem;

TEST_CASE("loader: background batches equal the synchronous ones, and it stops cleanly mid-epoch") {
  TempDir dir;
  synthesize_dataset({dir / "data", 10, 64, 3, 7});
  const Dataset d = load_dataset(dir / "data");
  const std::vector<size_t> all{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const InputSpec input{64, 1, {0.5f}, {0.25f}, false};
  const ImageCache cache(d, all, input);
  const BatchMaker maker(d, cache, input, AugmentOptions{}, 3);
  {
    Loader loader(maker, all, 4, 0, 2, true);
    for (size_t first : {0, 4, 8}) {
      std::optional<Batch> b = loader.next();
      REQUIRE(b.has_value());
      const std::vector<size_t> part(all.begin() + first, all.begin() + std::min<size_t>(first + 4, 10));
      const Batch sync = maker.make(part, 2, true);
      CHECK(b->samples == part);
      CHECK(b->images.to_vector() == sync.images.to_vector());
      CHECK(b->coords.to_vector() == sync.coords.to_vector());
    }
    CHECK_FALSE(loader.next().has_value());
  }
  {
    Loader abandoned(maker, all, 2, 0, 0, true, 1);  // destroyed while its thread waits to push
    CHECK(abandoned.next().has_value());
  }
  {
    // An error in the loader thread (here: a sample that was never cached)
    // reaches the trainer from next(), and the thread still joins.
    Loader failing(maker, {0, 1, 42, 3}, 2, 0, 0, false);
    CHECK(failing.next().has_value());
    CHECK_THROWS_WITH_AS(failing.next(), doctest::Contains("sample 42 was not loaded"), Error);
  }
  {
    // NaN or inf in a batch is named before it reaches the model.
    Batch b = maker.make({0, 1}, 0, false);
    CHECK_NOTHROW(check_batch_finite(b, d, 7, 2));
    b.images.data()[b.images.numel() - 1] = std::numeric_limits<float>::quiet_NaN();
    const std::string nan_image = "step 7 (epoch 2): the input tensor 'images' holds NaN or inf for " + d.samples[1].image;
    CHECK_THROWS_WITH_AS(check_batch_finite(b, d, 7, 2), doctest::Contains(nan_image.c_str()), Error);
    b = maker.make({0, 1}, 0, false);
    b.coords.data()[0] = std::numeric_limits<float>::infinity();
    const std::string inf_landmark = "the input tensor 'landmarks' holds NaN or inf for " + d.samples[0].image;
    CHECK_THROWS_WITH_AS(check_batch_finite(b, d, 7, 2), doctest::Contains(inf_landmark.c_str()), Error);
  }
  // An unreadable image is reported by name.
  fs::remove(dir.path / "data/images/0003.png");
  CHECK_THROWS_WITH_AS(ImageCache(d, all, input), doctest::Contains("0003.png"), Error);
}
