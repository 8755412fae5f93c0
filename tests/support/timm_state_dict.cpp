#include "tests/support/timm_state_dict.h"

#include <nlohmann/json.hpp>

#include "tensor/atomic_file.h"
#include "tensor/philox.h"

namespace heatmark::testing {

namespace {

struct Builder {
  std::vector<TimmTensor> out;
  void conv(const std::string& p, int64_t in, int64_t o, int64_t k, bool bias = false) {
    out.push_back({p + ".weight", Shape{o, in, k, k}});
    if (bias) out.push_back({p + ".bias", Shape{o}});
  }
  void bn(const std::string& p, int64_t c) {
    for (const char* n : {".weight", ".bias", ".running_mean", ".running_var"}) out.push_back({p + n, Shape{c}});
    out.push_back({p + ".num_batches_tracked", Shape{}, true});
  }
  void basic(const std::string& p, int64_t in, int64_t planes) {
    conv(p + ".conv1", in, planes, 3);
    bn(p + ".bn1", planes);
    conv(p + ".conv2", planes, planes, 3);
    bn(p + ".bn2", planes);
    if (in != planes) {
      conv(p + ".downsample.0", in, planes, 1);
      bn(p + ".downsample.1", planes);
    }
  }
  void bottleneck(const std::string& p, int64_t in, int64_t planes) {
    conv(p + ".conv1", in, planes, 1);
    bn(p + ".bn1", planes);
    conv(p + ".conv2", planes, planes, 3);
    bn(p + ".bn2", planes);
    conv(p + ".conv3", planes, planes * 4, 1);
    bn(p + ".bn3", planes * 4);
    if (in != planes * 4) {
      conv(p + ".downsample.0", in, planes * 4, 1);
      bn(p + ".downsample.1", planes * 4);
    }
  }
};

}  // namespace

std::vector<TimmTensor> timm_state_dict(const HRNetConfig& c) {
  Builder b;
  b.conv("conv1", 3, c.stem_width, 3);
  b.bn("bn1", c.stem_width);
  b.conv("conv2", c.stem_width, 64, 3);
  b.bn("bn2", 64);
  int64_t in = 64;
  for (int i = 0; i < c.stage1_blocks; ++i) {
    b.bottleneck("layer1." + std::to_string(i), in, c.stage1_planes);
    in = c.stage1_planes * 4;
  }
  std::vector<int64_t> pre{in};
  for (int s = 0; s < 3; ++s) {
    const std::vector<int64_t>& cur = c.stages[s].widths;
    const std::string t = "transition" + std::to_string(s + 1) + ".";
    for (size_t i = 0; i < cur.size(); ++i) {
      if (i < pre.size()) {
        if (pre[i] != cur[i]) {
          b.conv(t + std::to_string(i) + ".0", pre[i], cur[i], 3);
          b.bn(t + std::to_string(i) + ".1", cur[i]);
        }
      } else {
        for (size_t j = 0; j < i + 1 - pre.size(); ++j) {
          const int64_t out = j == i - pre.size() ? cur[i] : pre.back();
          b.conv(t + std::to_string(i) + "." + std::to_string(j) + ".0", pre.back(), out, 3);
          b.bn(t + std::to_string(i) + "." + std::to_string(j) + ".1", out);
        }
      }
    }
    for (int m = 0; m < c.stages[s].modules; ++m) {
      const std::string p = "stage" + std::to_string(s + 2) + "." + std::to_string(m) + ".";
      for (size_t br = 0; br < cur.size(); ++br)
        for (int k = 0; k < c.stages[s].blocks; ++k)
          b.basic(p + "branches." + std::to_string(br) + "." + std::to_string(k), cur[br], cur[br]);
      for (size_t i = 0; i < cur.size(); ++i)  // timm builds every output's fusion (multi_scale_output=True)
        for (size_t j = 0; j < cur.size(); ++j) {
          const std::string f = p + "fuse_layers." + std::to_string(i) + "." + std::to_string(j);
          if (j > i) {
            b.conv(f + ".0", cur[j], cur[i], 1);
            b.bn(f + ".1", cur[i]);
          } else if (j < i) {
            for (size_t k = 0; k < i - j; ++k) {
              const int64_t out = k == i - j - 1 ? cur[i] : cur[j];
              b.conv(f + "." + std::to_string(k) + ".0", cur[j], out, 3);
              b.bn(f + "." + std::to_string(k) + ".1", out);
            }
          }
        }
    }
    pre = cur;
  }
  // The classification head.
  const int64_t head[4] = {32, 64, 128, 256};
  for (int i = 0; i < 4; ++i) b.bottleneck("incre_modules." + std::to_string(i) + ".0", pre[i], head[i]);
  for (int i = 0; i < 3; ++i) {
    b.conv("downsamp_modules." + std::to_string(i) + ".0", head[i] * 4, head[i + 1] * 4, 3, true);
    b.bn("downsamp_modules." + std::to_string(i) + ".1", head[i + 1] * 4);
  }
  b.conv("final_layer.0", 1024, 2048, 1, true);
  b.bn("final_layer.1", 2048);
  b.out.push_back({"classifier.weight", Shape{1000, 2048}});
  b.out.push_back({"classifier.bias", Shape{1000}});
  return b.out;
}

void write_timm_file(const std::string& path, const HRNetConfig& config, uint64_t seed) {
  nlohmann::json header = {{"__metadata__", {{"format", "pt"}}}};
  std::string data;
  uint64_t stream = 0;
  for (const TimmTensor& t : timm_state_dict(config)) {
    const uint64_t begin = data.size();
    if (t.is_counter) {
      const int64_t count = 1234;
      data.append(reinterpret_cast<const char*>(&count), 8);
    } else {
      for (int64_t i = 0; i < t.shape.numel(); ++i) {
        const float v = philox_uniform(philox_block(seed, static_cast<uint64_t>(i), stream).v[0]) - 0.5f;
        data.append(reinterpret_cast<const char*>(&v), 4);
      }
    }
    ++stream;
    header[t.name] = {{"dtype", t.is_counter ? "I64" : "F32"}, {"shape", t.shape.dims()}, {"data_offsets", {begin, data.size()}}};
  }
  const std::string text = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  write_file_atomically(path, out + text + data);
}

}  // namespace heatmark::testing
